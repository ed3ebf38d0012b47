import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminGetUserCommand,
  AdminSetUserMFAPreferenceCommand,
  AssociateSoftwareTokenCommand,
  InitiateAuthCommand,
  SetUserPoolMfaConfigCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { Amplify } from 'aws-amplify';
import { confirmSignIn, fetchAuthSession, signIn, signOut } from 'aws-amplify/auth';
import { totpAt } from '../src/domain/mfa/totp.ts';
import type { Running } from '../src/tobira.ts';
import { mfaCode, SteppedClock } from './helpers/mfa.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';

describe('MFA with aws-amplify v6 (Node, userPoolEndpoint set to Tobira)', () => {
  let t: Running;
  const clock = new SteppedClock();
  before(async () => {
    t = await startTestServer({}, { clock });
  });
  after(() => t.close());

  test('signIn reaches CONTINUE_SIGN_IN_WITH_TOTP_SETUP, then CONFIRM_SIGN_IN_WITH_TOTP_CODE; confirmSignIn completes both', async () => {
    const { poolId, clientId } = await poolWithClient(t.url);
    await idpClient(t.url).send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await userWithPassword(t.url, poolId, 'amy', 'Amy#Pass12');
    Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: t.url } } });

    const setup = await signIn({ username: 'amy', password: 'Amy#Pass12' });
    assert.equal(setup.isSignedIn, false);
    assert.equal(setup.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_TOTP_SETUP');
    const secret = (setup.nextStep as { totpSetupDetails: { sharedSecret: string } }).totpSetupDetails.sharedSecret;
    assert.match(secret, /^[A-Z2-7]{52}$/);
    const uri = (setup.nextStep as { totpSetupDetails: { getSetupUri(app: string): URL } }).totpSetupDetails.getSetupUri('Tobira');
    assert.equal(uri.searchParams.get('secret'), secret);
    const confirmed = await confirmSignIn({ challengeResponse: totpAt(secret, clock.now()) });
    assert.deepEqual(confirmed, { isSignedIn: true, nextStep: { signInStep: 'DONE' } });
    const session = await fetchAuthSession();
    assert.equal(session.tokens?.accessToken.payload.username, 'amy');
    await signOut();

    clock.advance(30_000);
    const again = await signIn({ username: 'amy', password: 'Amy#Pass12' });
    assert.equal(again.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_TOTP_CODE');
    const done = await confirmSignIn({ challengeResponse: totpAt(secret, clock.now()) });
    assert.equal(done.isSignedIn, true);
    assert.equal((await fetchAuthSession()).tokens?.idToken?.payload['cognito:username'], 'amy');
    await signOut();
  });

  test('two factors, none preferred: CONTINUE_SIGN_IN_WITH_MFA_SELECTION, then CONFIRM_SIGN_IN_WITH_SMS_CODE with the code from the outbox', async () => {
    const { poolId, clientId } = await poolWithClient(t.url, { MfaConfiguration: 'OPTIONAL', SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::123456789012:role/sns', ExternalId: 'x' } });
    const sdk = idpClient(t.url);
    await sdk.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SmsMfaConfiguration: {}, SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await userWithPassword(t.url, poolId, 'bo', 'Bo#Pass123', { attributes: { phone_number: '+15555552468' } });
    const signed = await sdk.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'bo', PASSWORD: 'Bo#Pass123' } }));
    const AccessToken = signed.AuthenticationResult!.AccessToken!;
    const { SecretCode } = await sdk.send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk.send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()) }));
    await sdk.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'bo', SMSMfaSettings: { Enabled: true }, SoftwareTokenMfaSettings: { Enabled: true } }));
    Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: t.url } } });

    const r = await signIn({ username: 'bo', password: 'Bo#Pass123' });
    assert.equal(r.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_MFA_SELECTION');
    assert.deepEqual((r.nextStep as { allowedMFATypes?: string[] }).allowedMFATypes, ['SMS', 'TOTP']);
    const sms = await confirmSignIn({ challengeResponse: 'SMS' });
    assert.equal(sms.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_SMS_CODE');
    assert.equal((sms.nextStep as { codeDeliveryDetails?: { destination?: string } }).codeDeliveryDetails?.destination, '+*******2468');
    const done = await confirmSignIn({ challengeResponse: await mfaCode(t.url, '+15555552468') });
    assert.equal(done.isSignedIn, true);
    await signOut();
  });

  test('MFA ON with TOTP and email: CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION, EMAIL, CONTINUE_SIGN_IN_WITH_EMAIL_SETUP, CONFIRM_SIGN_IN_WITH_EMAIL_CODE', async () => {
    const { poolId, clientId } = await poolWithClient(t.url);
    const sdk = idpClient(t.url);
    await sdk.send(
      new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true }, EmailMfaConfiguration: { Subject: 'Code', Message: 'Code: {####}' } }),
    );
    await userWithPassword(t.url, poolId, 'eve', 'Eve#Pass12');
    Amplify.configure({ Auth: { Cognito: { userPoolId: poolId, userPoolClientId: clientId, userPoolEndpoint: t.url } } });

    const r = await signIn({ username: 'eve', password: 'Eve#Pass12' });
    assert.equal(r.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION');
    const email = await confirmSignIn({ challengeResponse: 'EMAIL' });
    assert.equal(email.nextStep.signInStep, 'CONTINUE_SIGN_IN_WITH_EMAIL_SETUP');
    const code = await confirmSignIn({ challengeResponse: 'eve@example.com' });
    assert.equal(code.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    assert.equal((code.nextStep as { codeDeliveryDetails?: { destination?: string } }).codeDeliveryDetails?.destination, 'e***@e***');
    const done = await confirmSignIn({ challengeResponse: await mfaCode(t.url, 'eve@example.com') });
    assert.equal(done.isSignedIn, true);
    await signOut();
    const user = await sdk.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'eve' }));
    assert.deepEqual(user.UserMFASettingList, ['EMAIL_OTP']);
    const attrs = Object.fromEntries(user.UserAttributes!.map((a) => [a.Name, a.Value]));
    assert.equal(attrs.email, 'eve@example.com');
    assert.equal(attrs.email_verified, 'true');

    // The next sign-in asks for an email code straight away.
    const again = await signIn({ username: 'eve', password: 'Eve#Pass12' });
    assert.equal(again.nextStep.signInStep, 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    assert.equal((await confirmSignIn({ challengeResponse: await mfaCode(t.url, 'eve@example.com') })).isSignedIn, true);
    await signOut();
  });
});
