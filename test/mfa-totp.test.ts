import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminRespondToAuthChallengeCommand,
  AssociateSoftwareTokenCommand,
  DescribeUserPoolCommand,
  GetUserCommand,
  GetUserPoolMfaConfigCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  SetUserPoolMfaConfigCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { ManualClock } from '../src/clock.ts';
import { base32Decode, base32Encode, hotp, matchingStep, newTotpSecret, totpAt } from '../src/domain/mfa/totp.ts';
import type { Running } from '../src/tobira.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { memoryStorage, SteppedClock } from './helpers/mfa.ts';

describe('TOTP (RFC 6238 over node:crypto)', () => {
  // RFC 6238 appendix B: the seeds are ASCII, eight-digit codes, 30-second steps.
  const seed1 = Buffer.from('12345678901234567890');
  const seed256 = Buffer.from('12345678901234567890123456789012');
  const seed512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234');
  const vectors: [number, string, string, string][] = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  for (const [time, sha1, sha256, sha512] of vectors) {
    test(`RFC 6238 vector T=${time}`, () => {
      const step = Math.floor(time / 30);
      assert.equal(hotp(seed1, step, 8, 'sha1'), sha1);
      assert.equal(hotp(seed256, step, 8, 'sha256'), sha256);
      assert.equal(hotp(seed512, step, 8, 'sha512'), sha512);
    });
  }

  test('base32 both ways; secrets are 52 characters; six-digit codes within one step either side', () => {
    assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI'); // RFC 4648 §10, without padding
    assert.equal(base32Decode('MZXW6YTBOI').toString(), 'foobar');
    const secret = newTotpSecret();
    assert.match(secret, /^[A-Z2-7]{52}$/);
    const now = Date.UTC(2026, 5, 1, 12, 0, 10);
    const step = Math.floor(now / 30_000);
    assert.equal(matchingStep(secret, totpAt(secret, now), now), step);
    assert.equal(matchingStep(secret, totpAt(secret, now - 30_000), now), step - 1);
    assert.equal(matchingStep(secret, totpAt(secret, now + 30_000), now), step + 1);
    assert.equal(matchingStep(secret, totpAt(secret, now - 60_000), now), null);
    assert.equal(matchingStep(secret, totpAt(secret, now + 60_000), now), null);
    assert.equal(matchingStep(secret, 'abcdef', now), null);
  });
});

/** Signs in with amazon-cognito-identity-js (SRP), answering TOTP with `code()`. */
function acijSignIn(user: CognitoUser, password: string, code: () => string): Promise<{ session: CognitoUserSession; challenges: string[] }> {
  const challenges: string[] = [];
  return new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: user.getUsername(), Password: password }), {
      onSuccess: (session) => resolve({ session, challenges }),
      onFailure: reject,
      totpRequired(name) {
        challenges.push(name);
        user.sendMFACode(code(), { onSuccess: (session) => resolve({ session, challenges }), onFailure: reject }, 'SOFTWARE_TOKEN_MFA');
      },
      mfaRequired: () => reject(new Error('unexpected mfaRequired')),
      mfaSetup: () => reject(new Error('unexpected mfaSetup')),
    }),
  );
}

describe('TOTP MFA over HTTP', () => {
  let t: Running;
  let poolId: string;
  let clientId: string;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0));
  const sdk = () => idpClient(t.url);

  /** A signed-in user with a verified, preferred TOTP token; returns the secret. */
  async function totpUser(name: string, password: string): Promise<string> {
    await userWithPassword(t.url, poolId, name, password);
    const signed = await sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: name, PASSWORD: password } }));
    const AccessToken = signed.AuthenticationResult!.AccessToken!;
    const { SecretCode } = await sdk().send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk().send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()), FriendlyDeviceName: 'phone' }));
    await sdk().send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    clock.advance(30_000); // the verifying code's step is used up
    return SecretCode!;
  }

  before(async () => {
    t = await startTestServer({}, { clock });
    ({ poolId, clientId } = await poolWithClient(t.url));
    await sdk().send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
  });
  after(() => t.close());

  test("SetUserPoolMfaConfig / GetUserPoolMfaConfig: what was set, and Cognito's refusals", async () => {
    const got = await sdk().send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    assert.deepEqual({ ...got, $metadata: undefined }, { $metadata: undefined, SoftwareTokenMfaConfiguration: { Enabled: true }, MfaConfiguration: 'OPTIONAL' });
    const described = await sdk().send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    assert.equal(described.UserPool!.MfaConfiguration, 'OPTIONAL');
    assert.equal((described.UserPool as Record<string, unknown>).MfaFactors, undefined);

    const { poolId: other, clientId: otherClient } = await poolWithClient(t.url);
    const refused = async (input: object) => sdkError(sdk().send(new SetUserPoolMfaConfigCommand({ UserPoolId: other, ...input })));
    assert.deepEqual(await refused({ MfaConfiguration: 'OFF', SoftwareTokenMfaConfiguration: { Enabled: true } }), {
      name: 'InvalidParameterException',
      message: "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.",
    });
    assert.deepEqual(await refused({ MfaConfiguration: 'ON' }), {
      name: 'InvalidParameterException',
      message: "Invalid MFA configuration given, can't disable all MFAs with a required or optional configuration.",
    });
    assert.deepEqual(await refused({ MfaConfiguration: 'ON', SmsMfaConfiguration: { SmsAuthenticationMessage: 'Code {####}' } }), {
      name: 'InvalidParameterException',
      message: 'SMS configuration and Auto verification for phone_number are required when MFA is required/optional',
    });
    // A user may not start TOTP where the pool has it off.
    await userWithPassword(t.url, other, 'nobody', 'Nobody#Pass1');
    const signed = await sdk().send(new InitiateAuthCommand({ ClientId: otherClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nobody', PASSWORD: 'Nobody#Pass1' } }));
    assert.deepEqual(await sdkError(sdk().send(new AssociateSoftwareTokenCommand({ AccessToken: signed.AuthenticationResult!.AccessToken }))), {
      name: 'SoftwareTokenMFANotFoundException',
      message: 'Software Token MFA has not been enabled by the userPool',
    });
    // A made-up Session is no MFA_SETUP session.
    const r = await rawCall(t.url, 'AssociateSoftwareToken', { Session: 'AYAB' + 'x'.repeat(40) });
    assert.deepEqual(r.json, { __type: 'NotAuthorizedException', message: 'Invalid session for the user.' });
  });

  test('associate, verify (wrong code refused), prefer, then SOFTWARE_TOKEN_MFA; replays and old codes refused', async () => {
    await userWithPassword(t.url, poolId, 'tina', 'Tina#Pass1');
    const first = await sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'tina', PASSWORD: 'Tina#Pass1' } }));
    const AccessToken = first.AuthenticationResult!.AccessToken!; // OPTIONAL and nothing set up: no challenge
    const { SecretCode, Session } = await sdk().send(new AssociateSoftwareTokenCommand({ AccessToken }));
    assert.match(SecretCode!, /^[A-Z2-7]{52}$/);
    assert.equal(Session, undefined);

    assert.deepEqual(await sdkError(sdk().send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true } }))), {
      name: 'InvalidParameterException',
      message: 'User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA',
    });
    const wrong = totpAt(SecretCode!, clock.now()) === '000000' ? '111111' : '000000';
    assert.deepEqual(await sdkError(sdk().send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: wrong }))), {
      name: 'EnableSoftwareTokenMFAException',
      message: 'Code mismatch and fail enable Software Token MFA',
    });
    const verified = await sdk().send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()), FriendlyDeviceName: 'phone' }));
    assert.equal(verified.Status, 'SUCCESS');
    await sdk().send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));

    const me = await sdk().send(new GetUserCommand({ AccessToken }));
    assert.deepEqual(me.UserMFASettingList, ['SOFTWARE_TOKEN_MFA']);
    assert.equal(me.PreferredMfaSetting, 'SOFTWARE_TOKEN_MFA');
    const admin = await sdk().send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'tina' }));
    assert.deepEqual(admin.UserMFASettingList, ['SOFTWARE_TOKEN_MFA']);
    assert.equal(admin.PreferredMfaSetting, 'SOFTWARE_TOKEN_MFA');
    assert.ok(!JSON.stringify(admin).includes(SecretCode!), 'the secret is never shown again');

    // The code that verified the token (this step) cannot sign in; the next step's can.
    const start = () => sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'tina', PASSWORD: 'Tina#Pass1' } }));
    const challenged = await start();
    assert.equal(challenged.ChallengeName, 'SOFTWARE_TOKEN_MFA');
    assert.deepEqual(challenged.ChallengeParameters, { FRIENDLY_DEVICE_NAME: 'phone', USER_ID_FOR_SRP: 'tina' });
    assert.equal(challenged.AuthenticationResult, undefined);
    const answer = (code: string, session = challenged.Session) =>
      sdk().send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: session, ChallengeResponses: { USERNAME: 'tina', SOFTWARE_TOKEN_MFA_CODE: code } }));
    const mismatch = { name: 'CodeMismatchException', message: 'Invalid code or auth state for the user.' };
    assert.deepEqual(await sdkError(answer(totpAt(SecretCode!, clock.now()))), mismatch, 'the verifying code is used');
    clock.advance(30_000);
    assert.deepEqual(await sdkError(answer(totpAt(SecretCode!, clock.now() - 60_000))), mismatch, 'a code two windows old');
    const code = totpAt(SecretCode!, clock.now());
    const done = await answer(code);
    assert.ok(done.AuthenticationResult?.AccessToken);
    assert.deepEqual(done.ChallengeParameters, {});

    // The same code again, on a new sign-in within its window: refused (a code is taken once).
    const again = await start();
    assert.deepEqual(await sdkError(answer(code, again.Session)), mismatch);
    clock.advance(30_000);
    assert.ok((await answer(totpAt(SecretCode!, clock.now()), again.Session)).AuthenticationResult?.IdToken, 'the session stays usable after a wrong code');
    // A used session cannot be answered again.
    assert.deepEqual(await sdkError(answer(totpAt(SecretCode!, clock.now() + 30_000), again.Session)), {
      name: 'NotAuthorizedException',
      message: 'Invalid session for the user, session can only be used once.',
    });
  });

  test('race: one code sent on four sign-ins at once signs in exactly one of them', async () => {
    const secret = await totpUser('race', 'Race#Pass1');
    const sessions = await Promise.all(
      Array.from({ length: 4 }, () =>
        sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'race', PASSWORD: 'Race#Pass1' } })),
      ),
    );
    const code = totpAt(secret, clock.now());
    const results = await Promise.allSettled(
      sessions.map((r) =>
        sdk().send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: r.Session, ChallengeResponses: { USERNAME: 'race', SOFTWARE_TOKEN_MFA_CODE: code } })),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as Error).name, 'CodeMismatchException');
  });

  test('AdminInitiateAuth and AdminRespondToAuthChallenge go through SOFTWARE_TOKEN_MFA', async () => {
    const secret = await totpUser('adam', 'Adam#Pass1');
    const r = await sdk().send(new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'adam', PASSWORD: 'Adam#Pass1' } }));
    assert.equal(r.ChallengeName, 'SOFTWARE_TOKEN_MFA');
    const done = await sdk().send(
      new AdminRespondToAuthChallengeCommand({ UserPoolId: poolId, ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: r.Session, ChallengeResponses: { USERNAME: 'adam', SOFTWARE_TOKEN_MFA_CODE: totpAt(secret, clock.now()) } }),
    );
    assert.ok(done.AuthenticationResult?.AccessToken);
  });

  test('NEW_PASSWORD_REQUIRED, then MFA_SETUP with Sessions from AssociateSoftwareToken and VerifySoftwareToken', async () => {
    const { poolId: onPool, clientId: onClient } = await poolWithClient(t.url);
    await sdk().send(new SetUserPoolMfaConfigCommand({ UserPoolId: onPool, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await userWithPassword(t.url, onPool, 'nina', 'Temp#Pass1', { temporary: true });
    const r1 = await sdk().send(new InitiateAuthCommand({ ClientId: onClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nina', PASSWORD: 'Temp#Pass1' } }));
    assert.equal(r1.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    const r2 = await sdk().send(
      new RespondToAuthChallengeCommand({ ClientId: onClient, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: r1.Session, ChallengeResponses: { USERNAME: 'nina', NEW_PASSWORD: 'Nina#Pass1' } }),
    );
    assert.equal(r2.ChallengeName, 'MFA_SETUP');
    // MFA_SETUP before a verified token is refused; so is a Session used twice.
    const early = await sdkError(sdk().send(new RespondToAuthChallengeCommand({ ClientId: onClient, ChallengeName: 'MFA_SETUP', Session: r2.Session, ChallengeResponses: { USERNAME: 'nina' } })));
    assert.equal(early.name, 'NotAuthorizedException');
    const assoc = await sdk().send(new AssociateSoftwareTokenCommand({ Session: r2.Session }));
    assert.ok(assoc.Session && assoc.Session !== r2.Session);
    assert.equal((await sdkError(sdk().send(new AssociateSoftwareTokenCommand({ Session: r2.Session })))).name, 'NotAuthorizedException');
    const verified = await sdk().send(new VerifySoftwareTokenCommand({ Session: assoc.Session, UserCode: totpAt(assoc.SecretCode!, clock.now()) }));
    assert.equal(verified.Status, 'SUCCESS');
    const done = await sdk().send(new RespondToAuthChallengeCommand({ ClientId: onClient, ChallengeName: 'MFA_SETUP', Session: verified.Session, ChallengeResponses: { USERNAME: 'nina' } }));
    assert.ok(done.AuthenticationResult?.AccessToken);
  });
});

describe('TOTP MFA with amazon-cognito-identity-js', () => {
  let t: Running;
  let poolId: string;
  let clientId: string;
  const clock = new SteppedClock();
  const sdk = () => idpClient(t.url);

  async function totpUser(name: string, password: string): Promise<string> {
    await userWithPassword(t.url, poolId, name, password);
    const signed = await sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: name, PASSWORD: password } }));
    const AccessToken = signed.AuthenticationResult!.AccessToken!;
    const { SecretCode } = await sdk().send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk().send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()), FriendlyDeviceName: 'phone' }));
    await sdk().send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    clock.advance(30_000);
    return SecretCode!;
  }

  before(async () => {
    t = await startTestServer({}, { clock });
    ({ poolId, clientId } = await poolWithClient(t.url));
    await sdk().send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
  });
  after(() => t.close());

  test('amazon-cognito-identity-js: authenticateUser (SRP) reaches totpRequired, answered with sendMFACode', async () => {
    const secret = await totpUser('jess', 'Jess#Pass1');
    const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url, Storage: memoryStorage() });
    const user = new CognitoUser({ Username: 'jess', Pool: pool, Storage: memoryStorage() });
    const { session, challenges } = await acijSignIn(user, 'Jess#Pass1', () => totpAt(secret, clock.now()));
    assert.deepEqual(challenges, ['SOFTWARE_TOKEN_MFA']);
    assert.equal(session.getIdToken().decodePayload()['cognito:username'], 'jess');
  });

  test('amazon-cognito-identity-js: MFA required, mfaSetup answered with associateSoftwareToken and verifySoftwareToken', async () => {
    const { poolId: onPool, clientId: onClient } = await poolWithClient(t.url);
    await sdk().send(new SetUserPoolMfaConfigCommand({ UserPoolId: onPool, MfaConfiguration: 'ON', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await userWithPassword(t.url, onPool, 'sam', 'Sam#Pass12');
    const pool = new CognitoUserPool({ UserPoolId: onPool, ClientId: onClient, endpoint: t.url, Storage: memoryStorage() });
    const user = new CognitoUser({ Username: 'sam', Pool: pool, Storage: memoryStorage() });
    let secret = '';
    let setupParams: Record<string, string> = {};
    const session = await new Promise<CognitoUserSession>((resolve, reject) =>
      user.authenticateUser(new AuthenticationDetails({ Username: 'sam', Password: 'Sam#Pass12' }), {
        onSuccess: resolve,
        onFailure: reject,
        mfaSetup(_name, params) {
          setupParams = params;
          user.associateSoftwareToken({
            associateSecretCode(code: string) {
              secret = code;
              user.verifySoftwareToken(totpAt(secret, clock.now()), 'acij', { onSuccess: resolve, onFailure: reject });
            },
            onFailure: reject,
          });
        },
      }),
    );
    assert.deepEqual(setupParams, { MFAS_CAN_SETUP: '["SOFTWARE_TOKEN_MFA"]', USER_ID_FOR_SRP: 'sam' });
    assert.equal(session.getAccessToken().decodePayload().username, 'sam');
    const admin = await sdk().send(new AdminGetUserCommand({ UserPoolId: onPool, Username: 'sam' }));
    assert.deepEqual(admin.UserMFASettingList, ['SOFTWARE_TOKEN_MFA']);
    assert.equal(admin.PreferredMfaSetting, 'SOFTWARE_TOKEN_MFA');

    // The next sign-in asks for the code.
    clock.advance(30_000);
    const next = new CognitoUser({ Username: 'sam', Pool: pool, Storage: memoryStorage() });
    const { challenges } = await acijSignIn(next, 'Sam#Pass12', () => totpAt(secret, clock.now()));
    assert.deepEqual(challenges, ['SOFTWARE_TOKEN_MFA']);
  });

});

describe('TOTP settings survive a restart and work on every node, secrets sealed under the master key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-mfa-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a user set up on one server answers TOTP on the next and on a second node; the stored secret is sealed', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 2, 8, 0, 0));
    const config = { dataDir: dir, masterKey: 'a-master-key-for-the-mfa-test' };
    let t = await startTestServer(config, { clock });
    const { poolId, clientId } = await poolWithClient(t.url);
    const sdk = idpClient(t.url);
    await sdk.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    await userWithPassword(t.url, poolId, 'rita', 'Rita#Pass1');
    const signed = await sdk.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'rita', PASSWORD: 'Rita#Pass1' } }));
    const AccessToken = signed.AuthenticationResult!.AccessToken!;
    const { SecretCode } = await sdk.send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk.send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()) }));
    await sdk.send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    const raw = await (t.app.store.db as any).get('SELECT secret FROM software_tokens WHERE pool_id = ?', [poolId]);
    assert.match(raw.secret, /^sealed:v1:/);
    assert.ok(!raw.secret.includes(SecretCode!));
    await t.close();

    t = await startTestServer(config, { clock });
    const other = await startTestServer(config, { clock });
    try {
      // Two nodes on one store: the challenge opened on one is answered on the other, and the
      // code it used is refused on the first.
      clock.advance(30_000);
      const onA = await idpClient(t.url).send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'rita', PASSWORD: 'Rita#Pass1' } }));
      const code = totpAt(SecretCode!, clock.now());
      const onB = await idpClient(other.url).send(
        new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: onA.Session, ChallengeResponses: { USERNAME: 'rita', SOFTWARE_TOKEN_MFA_CODE: code } }),
      );
      assert.ok(onB.AuthenticationResult?.AccessToken);
      const again = await idpClient(t.url).send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'rita', PASSWORD: 'Rita#Pass1' } }));
      const replay = await sdkError(
        idpClient(t.url).send(new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: again.Session, ChallengeResponses: { USERNAME: 'rita', SOFTWARE_TOKEN_MFA_CODE: code } })),
      );
      assert.equal(replay.name, 'CodeMismatchException');
      clock.advance(30_000);
      const sdk2 = idpClient(t.url);
      const r = await sdk2.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'rita', PASSWORD: 'Rita#Pass1' } }));
      assert.equal(r.ChallengeName, 'SOFTWARE_TOKEN_MFA');
      const done = await sdk2.send(
        new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: r.Session, ChallengeResponses: { USERNAME: 'rita', SOFTWARE_TOKEN_MFA_CODE: totpAt(SecretCode!, clock.now()) } }),
      );
      assert.ok(done.AuthenticationResult?.AccessToken);
    } finally {
      await other.close();
      await t.close();
    }
  });
});
