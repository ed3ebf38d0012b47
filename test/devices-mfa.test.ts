import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminUpdateDeviceStatusCommand,
  AssociateSoftwareTokenCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SetUserMFAPreferenceCommand,
  SetUserPoolMfaConfigCommand,
  VerifySoftwareTokenCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { totpAt } from '../src/domain/mfa/totp.ts';
import type { Running } from '../src/tobira.ts';
import { DeviceSrp, makeDeviceSecret } from './helpers/device-client.ts';
import { memoryStorage, SteppedClock } from './helpers/mfa.ts';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { idpClient, okCall, startTestServer } from './helpers/tobira.ts';

/** authenticateUser (SRP), answering TOTP with `code()`; records the challenges the library was asked. */
function signIn(user: CognitoUser, password: string, code: () => string): Promise<{ session: CognitoUserSession; asked: string[]; confirmationNecessary?: boolean }> {
  const asked: string[] = [];
  return new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: user.getUsername(), Password: password }), {
      onSuccess: (session, confirmationNecessary) => resolve({ session, asked, confirmationNecessary }),
      onFailure: reject,
      totpRequired(name) {
        asked.push(name);
        user.sendMFACode(code(), { onSuccess: (session) => resolve({ session, asked }), onFailure: reject }, 'SOFTWARE_TOKEN_MFA');
      },
      mfaRequired: () => reject(new Error('unexpected mfaRequired')),
      mfaSetup: () => reject(new Error('unexpected mfaSetup')),
    }),
  );
}

const call = <T>(fn: (cb: (err: any, result?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result as T))));

describe('a remembered device stands in for TOTP MFA (ChallengeRequiredOnNewDevice)', () => {
  let t: Running;
  let poolId: string;
  let clientId: string;
  const clock = new SteppedClock();
  const sdk = () => idpClient(t.url);
  const targets: string[] = [];
  const realFetch = globalThis.fetch;

  before(async () => {
    t = await startTestServer({}, { clock });
    ({ poolId, clientId } = await poolWithClient(t.url, {
      DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true },
    }));
    await sdk().send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } }));
    globalThis.fetch = async (input: any, init?: any) => {
      const res = await realFetch(input, init);
      const target = new Headers(init?.headers).get('x-amz-target');
      if (target && String(input).startsWith(t.url)) {
        const body = JSON.parse(init.body);
        targets.push(`${target.split('.')[1]}${body.ChallengeName ? `:${body.ChallengeName}` : ''}`);
      }
      return res;
    };
  });
  after(async () => {
    globalThis.fetch = realFetch;
    await t.close();
  });

  test('amazon-cognito-identity-js: TOTP and then the device on a tracked device; the device alone once remembered', async () => {
    await userWithPassword(t.url, poolId, 'ivan', 'Ivan#Pass1');
    const storage = memoryStorage();
    const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url, Storage: storage });
    const user = () => new CognitoUser({ Username: 'ivan', Pool: pool, Storage: storage });

    // No MFA yet: the first sign-in gets a device, which the library confirms (opt-in pool).
    const first = await signIn(user(), 'Ivan#Pass1', () => assert.fail('no MFA yet'));
    assert.equal(first.confirmationNecessary, true);
    const deviceKey = first.session.getAccessToken().decodePayload().device_key;
    const AccessToken = first.session.getAccessToken().getJwtToken();
    const { SecretCode } = await sdk().send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk().send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()) }));
    await sdk().send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    clock.advance(30_000);

    // Tracked but not remembered: TOTP, then the device proves itself (DEVICE_SRP_AUTH after MFA).
    targets.length = 0;
    const second = await signIn(user(), 'Ivan#Pass1', () => totpAt(SecretCode!, clock.now()));
    assert.deepEqual(second.asked, ['SOFTWARE_TOKEN_MFA']);
    assert.deepEqual(targets, [
      'InitiateAuth',
      'RespondToAuthChallenge:PASSWORD_VERIFIER',
      'RespondToAuthChallenge:SOFTWARE_TOKEN_MFA',
      'RespondToAuthChallenge:DEVICE_SRP_AUTH',
      'RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER',
    ]);
    assert.equal(second.session.getAccessToken().decodePayload().device_key, deviceKey);

    // Remembered: the device stands in for TOTP.
    const signedIn = user();
    signedIn.setSignInUserSession(second.session);
    signedIn.getCachedDeviceKeyAndPassword();
    await call((cb) => signedIn.setDeviceStatusRemembered({ onSuccess: (r: any) => cb(null, r), onFailure: cb }));
    clock.advance(30_000);
    targets.length = 0;
    const third = await signIn(user(), 'Ivan#Pass1', () => assert.fail('a remembered device skips MFA'));
    assert.deepEqual(third.asked, []);
    assert.deepEqual(targets, [
      'InitiateAuth',
      'RespondToAuthChallenge:PASSWORD_VERIFIER',
      'RespondToAuthChallenge:DEVICE_SRP_AUTH',
      'RespondToAuthChallenge:DEVICE_PASSWORD_VERIFIER',
    ]);
    assert.equal(third.session.getAccessToken().decodePayload().device_key, deviceKey);

    // Not remembered any more (an administrator's call): TOTP again.
    await sdk().send(new AdminUpdateDeviceStatusCommand({ UserPoolId: poolId, Username: 'ivan', DeviceKey: deviceKey, DeviceRememberedStatus: 'not_remembered' }));
    clock.advance(30_000);
    const fourth = await signIn(user(), 'Ivan#Pass1', () => totpAt(SecretCode!, clock.now()));
    assert.deepEqual(fourth.asked, ['SOFTWARE_TOKEN_MFA']);
  });

  test("the Session of the MFA step serves one device step only; the device step's own Session works too", async () => {
    await userWithPassword(t.url, poolId, 'jade', 'Jade#Pass1');
    const first = await sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'jade', PASSWORD: 'Jade#Pass1' } }));
    const meta = first.AuthenticationResult!.NewDeviceMetadata!;
    const device = await makeDeviceSecret(meta.DeviceGroupKey!, meta.DeviceKey!);
    const AccessToken = first.AuthenticationResult!.AccessToken!;
    await okCall(t.url, 'ConfirmDevice', { AccessToken, DeviceKey: device.deviceKey, DeviceSecretVerifierConfig: device.config });
    const { SecretCode } = await sdk().send(new AssociateSoftwareTokenCommand({ AccessToken }));
    await sdk().send(new VerifySoftwareTokenCommand({ AccessToken, UserCode: totpAt(SecretCode!, clock.now()) }));
    await sdk().send(new SetUserMFAPreferenceCommand({ AccessToken, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }));
    clock.advance(30_000);

    const start = await sdk().send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'jade', PASSWORD: 'Jade#Pass1', DEVICE_KEY: device.deviceKey } }),
    );
    assert.equal(start.ChallengeName, 'SOFTWARE_TOKEN_MFA');
    const mfa = await sdk().send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'SOFTWARE_TOKEN_MFA',
        Session: start.Session,
        ChallengeResponses: { USERNAME: 'jade', SOFTWARE_TOKEN_MFA_CODE: totpAt(SecretCode!, clock.now()), DEVICE_KEY: device.deviceKey },
      }),
    );
    assert.equal(mfa.ChallengeName, 'DEVICE_SRP_AUTH');
    // Answered with the MFA step's Session (as amazon-cognito-identity-js does): once only.
    const deviceStep = async () =>
      sdk().send(
        new RespondToAuthChallengeCommand({
          ClientId: clientId,
          ChallengeName: 'DEVICE_SRP_AUTH',
          Session: start.Session,
          ChallengeResponses: { USERNAME: 'jade', DEVICE_KEY: device.deviceKey, SRP_A: await new DeviceSrp(device).srpA() },
        }),
      );
    assert.equal((await deviceStep()).ChallengeName, 'DEVICE_PASSWORD_VERIFIER');
    await assert.rejects(deviceStep(), { name: 'NotAuthorizedException', message: 'Invalid session for the user, session can only be used once.' });
    // And with its own Session, as Amplify does.
    const srp = new DeviceSrp(device);
    const step = await sdk().send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'DEVICE_SRP_AUTH',
        Session: mfa.Session,
        ChallengeResponses: { USERNAME: 'jade', DEVICE_KEY: device.deviceKey, SRP_A: await srp.srpA() },
      }),
    );
    const done = await sdk().send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
        Session: step.Session,
        ChallengeResponses: await srp.answer(step.ChallengeParameters!),
      }),
    );
    assert.equal(claims(done.AuthenticationResult!.AccessToken!).device_key, device.deviceKey);
  });
});
