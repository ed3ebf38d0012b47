import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminGetUserCommand,
  AdminSetUserMFAPreferenceCommand,
  AdminSetUserSettingsCommand,
  AssociateSoftwareTokenCommand,
  GetUserCommand,
  GetUserPoolMfaConfigCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  SetUserPoolMfaConfigCommand,
  SetUserSettingsCommand,
  UpdateUserPoolCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { totpAt } from '../src/domain/mfa/totp.ts';
import type { Running } from '../src/tobira.ts';
import { memoryStorage, mfaCode, SteppedClock } from './helpers/mfa.ts';
import { outboxMessages } from './helpers/outbox.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, sdkError, startTestServer } from './helpers/tobira.ts';

const SMS = { SnsCallerArn: 'arn:aws:iam::123456789012:role/tobira-sns', ExternalId: 'tobira' };

describe('SMS and email MFA', () => {
  let t: Running;
  let poolId: string;
  let clientId: string;
  const clock = new SteppedClock();
  const sdk = () => idpClient(t.url);
  const start = (username: string, password: string) =>
    sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD: password } }));
  const respond = (name: 'SMS_MFA' | 'EMAIL_OTP' | 'SELECT_MFA_TYPE' | 'SOFTWARE_TOKEN_MFA', session: string | undefined, responses: Record<string, string>) =>
    sdk().send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: name, Session: session, ChallengeResponses: responses }));

  before(async () => {
    t = await startTestServer({}, { clock });
    // CreateUserPool takes OPTIONAL with an SMS configuration: SMS MFA (issue 10, seed 003).
    ({ poolId, clientId } = await poolWithClient(t.url, { MfaConfiguration: 'OPTIONAL', SmsConfiguration: SMS, SmsAuthenticationMessage: 'Your sign-in code is {####}' }));
  });
  after(() => t.close());

  test('a pool made OPTIONAL with an SMS configuration has SMS MFA; SetUserPoolMfaConfig adds TOTP and email', async () => {
    const got = await sdk().send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    assert.equal(got.MfaConfiguration, 'OPTIONAL');
    assert.equal(got.SmsMfaConfiguration?.SmsAuthenticationMessage, 'Your sign-in code is {####}');
    assert.equal(got.SmsMfaConfiguration?.SmsConfiguration?.SnsCallerArn, SMS.SnsCallerArn);
    const set = await sdk().send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: poolId,
        MfaConfiguration: 'OPTIONAL',
        SmsMfaConfiguration: { SmsAuthenticationMessage: 'Your sign-in code is {####}' },
        SoftwareTokenMfaConfiguration: { Enabled: true },
        EmailMfaConfiguration: { Subject: 'Sign-in code', Message: 'Your email sign-in code is {####}' },
      }),
    );
    const again = await sdk().send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    for (const r of [set, again]) {
      assert.deepEqual(r.SoftwareTokenMfaConfiguration, { Enabled: true });
      assert.deepEqual(r.EmailMfaConfiguration, { Subject: 'Sign-in code', Message: 'Your email sign-in code is {####}' });
      assert.equal(r.SmsMfaConfiguration?.SmsConfiguration?.ExternalId, 'tobira');
    }
  });

  test('SMS_MFA: masked destination, the code from the outbox, single use; wrong codes count toward the lockout', async () => {
    await userWithPassword(t.url, poolId, 'sean', 'Sean#Pass1', { attributes: { phone_number: '+15555551234', phone_number_verified: 'true' } });
    await sdk().send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'sean', SMSMfaSettings: { Enabled: true, PreferredMfa: true } }));
    const r = await start('sean', 'Sean#Pass1');
    assert.equal(r.ChallengeName, 'SMS_MFA');
    assert.deepEqual(r.ChallengeParameters, { CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS', CODE_DELIVERY_DESTINATION: '+*******1234' });
    const [sms] = (await outboxMessages(t.url, { to: '+15555551234' })).slice(-1);
    assert.match(sms.body, /^Your sign-in code is \d{6}$/);
    const code = await mfaCode(t.url, '+15555551234');
    const done = await respond('SMS_MFA', r.Session, { USERNAME: 'sean', SMS_MFA_CODE: code });
    assert.ok(done.AuthenticationResult?.AccessToken);
    assert.deepEqual(await sdkError(respond('SMS_MFA', r.Session, { USERNAME: 'sean', SMS_MFA_CODE: code })), {
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user, session can only be used once.',
    });

    // Five wrong codes: each CodeMismatchException, then the user is locked, the right code too.
    const r2 = await start('sean', 'Sean#Pass1');
    const right = await mfaCode(t.url, '+15555551234');
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) {
      assert.deepEqual(await sdkError(respond('SMS_MFA', r2.Session, { USERNAME: 'sean', SMS_MFA_CODE: wrong })), {
        name: 'CodeMismatchException',
        message: 'Invalid code or auth state for the user.',
      });
    }
    assert.deepEqual(await sdkError(respond('SMS_MFA', r2.Session, { USERNAME: 'sean', SMS_MFA_CODE: right })), {
      name: 'NotAuthorizedException',
      message: 'Password attempts exceeded',
    });
    assert.deepEqual(await sdkError(start('sean', 'Sean#Pass1')), { name: 'NotAuthorizedException', message: 'Password attempts exceeded' });
    clock.advance(2000); // the first lock lasts a second
    const r3 = await start('sean', 'Sean#Pass1');
    assert.ok((await respond('SMS_MFA', r3.Session, { USERNAME: 'sean', SMS_MFA_CODE: await mfaCode(t.url, '+15555551234') })).AuthenticationResult);
  });

  test('race: the right SMS code sent four times at once on one Session signs in once', async () => {
    await userWithPassword(t.url, poolId, 'rex', 'Rex#Pass12', { attributes: { phone_number: '+15555550777' } });
    await sdk().send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'rex', SMSMfaSettings: { Enabled: true, PreferredMfa: true } }));
    const r = await start('rex', 'Rex#Pass12');
    const code = await mfaCode(t.url, '+15555550777');
    const results = await Promise.allSettled(Array.from({ length: 4 }, () => respond('SMS_MFA', r.Session, { USERNAME: 'rex', SMS_MFA_CODE: code })));
    assert.equal(results.filter((x) => x.status === 'fulfilled').length, 1);
    for (const x of results) if (x.status === 'rejected') assert.equal((x.reason as Error).name, 'NotAuthorizedException');
  });

  test('EMAIL_OTP as MFA: the pool\'s message, an eight-digit code, destination t***@e***', async () => {
    await userWithPassword(t.url, poolId, 'test', 'Test#Pass1', { attributes: { email: 'test@example.com', email_verified: 'true' } });
    await sdk().send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'test', EmailMfaSettings: { Enabled: true, PreferredMfa: true } }));
    const r = await start('test', 'Test#Pass1');
    assert.equal(r.ChallengeName, 'EMAIL_OTP');
    assert.deepEqual(r.ChallengeParameters, { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL', CODE_DELIVERY_DESTINATION: 't***@e***' });
    const [mail] = (await outboxMessages(t.url, { to: 'test@example.com' })).slice(-1);
    assert.equal(mail.subject, 'Sign-in code');
    assert.match(mail.body, /^Your email sign-in code is \d{8}$/);
    const done = await respond('EMAIL_OTP', r.Session, { USERNAME: 'test', EMAIL_OTP_CODE: await mfaCode(t.url, 'test@example.com') });
    assert.ok(done.AuthenticationResult?.IdToken);
  });

  test('SetUserSettings / AdminSetUserSettings (MFAOptions) and what GetUser, AdminGetUser and ListUsers show', async () => {
    await userWithPassword(t.url, poolId, 'lena', 'Lena#Pass1', { attributes: { phone_number: '+15555559876' } });
    const signed = await start('lena', 'Lena#Pass1');
    const AccessToken = signed.AuthenticationResult!.AccessToken!;
    await sdk().send(new SetUserSettingsCommand({ AccessToken, MFAOptions: [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }] }));
    const me = await sdk().send(new GetUserCommand({ AccessToken }));
    assert.deepEqual(me.MFAOptions, [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }]);
    assert.deepEqual(me.UserMFASettingList, ['SMS_MFA']);
    const listed = await sdk().send(new ListUsersCommand({ UserPoolId: poolId, Filter: 'username = "lena"' }));
    assert.deepEqual(listed.Users![0].MFAOptions, [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }]);
    const r = await start('lena', 'Lena#Pass1');
    assert.equal(r.ChallengeName, 'SMS_MFA');
    await sdk().send(new AdminSetUserSettingsCommand({ UserPoolId: poolId, Username: 'lena', MFAOptions: [] }));
    const admin = await sdk().send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'lena' }));
    assert.equal(admin.MFAOptions, undefined);
    assert.equal(admin.UserMFASettingList, undefined);
    assert.ok((await start('lena', 'Lena#Pass1')).AuthenticationResult, 'OPTIONAL and no factor: no challenge');
    // No phone number, no SMS MFA.
    await userWithPassword(t.url, poolId, 'noph', 'Noph#Pass1');
    assert.deepEqual(await sdkError(sdk().send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'noph', SMSMfaSettings: { Enabled: true } }))), {
      name: 'InvalidParameterException',
      message: 'User does not have delivery config set to turn on SMS_MFA',
    });
  });

  test('amazon-cognito-identity-js: mfaRequired (SMS) and selectMFAType answered with sendMFASelectionAnswer and sendMFACode', async () => {
    const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url, Storage: memoryStorage() });
    await userWithPassword(t.url, poolId, 'mia', 'Mia#Pass12', { attributes: { phone_number: '+15555550042', email: 'mia@example.com' } });
    await sdk().send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'mia', SMSMfaSettings: { Enabled: true, PreferredMfa: true } }));

    const signIn = (user: CognitoUser, onSelect?: (params: Record<string, string>) => void) =>
      new Promise<{ session: CognitoUserSession; seen: string[] }>((resolve, reject) => {
        const seen: string[] = [];
        const callbacks = {
          onSuccess: (session: CognitoUserSession) => resolve({ session, seen }),
          onFailure: reject,
          async mfaRequired(name: string, params: Record<string, string>) {
            seen.push(`${name} ${params.CODE_DELIVERY_DESTINATION}`);
            user.sendMFACode(await mfaCode(t.url, '+15555550042'), callbacks);
          },
          selectMFAType(name: string, params: Record<string, string>) {
            seen.push(`${name} ${params.MFAS_CAN_CHOOSE}`);
            onSelect?.(params);
            user.sendMFASelectionAnswer('SMS_MFA', callbacks);
          },
        };
        user.authenticateUser(new AuthenticationDetails({ Username: 'mia', Password: 'Mia#Pass12' }), callbacks);
      });

    const first = await signIn(new CognitoUser({ Username: 'mia', Pool: pool, Storage: memoryStorage() }));
    assert.deepEqual(first.seen, ['SMS_MFA +*******0042']);
    assert.equal(first.session.getIdToken().decodePayload()['cognito:username'], 'mia');

    // Two factors, none preferred: SELECT_MFA_TYPE.
    const signed = await start('mia', 'Mia#Pass12');
    const code = await mfaCode(t.url, '+15555550042');
    const tokens = await respond('SMS_MFA', signed.Session, { USERNAME: 'mia', SMS_MFA_CODE: code });
    const AccessToken = tokens.AuthenticationResult!.AccessToken!;
    const { SecretCode } = await sdk().send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk().send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()) }));
    await sdk().send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: poolId,
        Username: 'mia',
        SMSMfaSettings: { Enabled: true, PreferredMfa: false },
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: false },
      }),
    );
    const second = await signIn(new CognitoUser({ Username: 'mia', Pool: pool, Storage: memoryStorage() }));
    assert.deepEqual(second.seen, ['SELECT_MFA_TYPE ["SMS_MFA","SOFTWARE_TOKEN_MFA"]', 'SMS_MFA +*******0042']);

    // The same choice answered as TOTP over the raw API.
    clock.advance(30_000);
    const r = await start('mia', 'Mia#Pass12');
    assert.equal(r.ChallengeName, 'SELECT_MFA_TYPE');
    const chosen = await respond('SELECT_MFA_TYPE', r.Session, { USERNAME: 'mia', ANSWER: 'SOFTWARE_TOKEN_MFA' });
    assert.equal(chosen.ChallengeName, 'SOFTWARE_TOKEN_MFA');
    const done = await respond('SOFTWARE_TOKEN_MFA', chosen.Session, { USERNAME: 'mia', SOFTWARE_TOKEN_MFA_CODE: totpAt(SecretCode!, clock.now()) });
    assert.ok(done.AuthenticationResult?.AccessToken);
  });

  test('MFA ON: a user with a phone number gets SMS_MFA without setting anything up', async () => {
    const { poolId: onPool, clientId: onClient } = await poolWithClient(t.url, { MfaConfiguration: 'ON', SmsConfiguration: SMS });
    await userWithPassword(t.url, onPool, 'omar', 'Omar#Pass1', { attributes: { phone_number: '+15555557777' } });
    const r = await sdk().send(new InitiateAuthCommand({ ClientId: onClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'omar', PASSWORD: 'Omar#Pass1' } }));
    assert.equal(r.ChallengeName, 'SMS_MFA');
    // UpdateUserPool keeps ON only with a factor.
    assert.deepEqual(await sdkError(sdk().send(new UpdateUserPoolCommand({ UserPoolId: onPool, MfaConfiguration: 'ON' }))), {
      name: 'InvalidParameterException',
      message: 'SMS configuration and Auto verification for phone_number are required when MFA is required/optional',
    });
  });

  test('an SMS code lives as long as its challenge session (AuthSessionValidity, 3 minutes by default)', async () => {
    await userWithPassword(t.url, poolId, 'elle', 'Elle#Pass1', { attributes: { phone_number: '+15555550999' } });
    await sdk().send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'elle', SMSMfaSettings: { Enabled: true, PreferredMfa: true } }));
    const r = await start('elle', 'Elle#Pass1');
    const code = await mfaCode(t.url, '+15555550999');
    clock.advance(3 * 60_000 + 1000);
    assert.deepEqual(await sdkError(respond('SMS_MFA', r.Session, { USERNAME: 'elle', SMS_MFA_CODE: code })), {
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user, session is expired.',
    });
    // A new sign-in sends a new code; the old one does not work on it.
    const r2 = await start('elle', 'Elle#Pass1');
    const fresh = await mfaCode(t.url, '+15555550999');
    if (fresh !== code) {
      assert.equal((await sdkError(respond('SMS_MFA', r2.Session, { USERNAME: 'elle', SMS_MFA_CODE: code }))).name, 'CodeMismatchException');
    }
    assert.ok((await respond('SMS_MFA', r2.Session, { USERNAME: 'elle', SMS_MFA_CODE: fresh })).AuthenticationResult);
  });
});
