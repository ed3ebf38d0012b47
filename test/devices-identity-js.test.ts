import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationDetails, CognitoUser, CognitoUserPool, type CognitoUserSession } from 'amazon-cognito-identity-js';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import type { Running } from '../src/tobira.ts';

function memoryStorage() {
  const m = new Map<string, string>();
  return {
    setItem: (k: string, v: string) => void m.set(k, v),
    getItem: (k: string) => m.get(k) ?? null,
    removeItem: (k: string) => void m.delete(k),
    clear: () => m.clear(),
  };
}

const call = <T>(fn: (cb: (err: any, result?: T) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => fn((err, result) => (err ? reject(err) : resolve(result as T))));

/** authenticateUser (USER_SRP_AUTH), resolving with the session and UserConfirmationNecessary. */
function signIn(user: CognitoUser, username: string, password: string): Promise<{ session: CognitoUserSession; confirmationNecessary?: boolean }> {
  return new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session, confirmationNecessary) => resolve({ session, confirmationNecessary }),
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('unexpected newPasswordRequired')),
      mfaRequired: () => reject(new Error('unexpected mfaRequired')),
      totpRequired: () => reject(new Error('unexpected totpRequired')),
    }),
  );
}

/** What the library sent and got back: operation, ChallengeName asked / answered, error type. */
interface Exchange {
  op: string;
  sent?: string;
  got?: string;
  error?: string;
  newDevice?: boolean;
}

describe('remembered devices with amazon-cognito-identity-js', () => {
  let t: Running;
  let pool: CognitoUserPool;
  let poolId: string;
  let clientId: string;
  const storage = memoryStorage();
  const log: Exchange[] = [];
  const realFetch = globalThis.fetch;

  before(async () => {
    t = await startTestServer();
    ({ poolId, clientId } = await poolWithClient(t.url, {
      DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true },
    }));
    pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url, Storage: storage });
    await userWithPassword(t.url, poolId, 'hana', 'Hana#Pass1');
    // The library calls the global fetch; record each exchange with the server.
    globalThis.fetch = async (input: any, init?: any) => {
      const res = await realFetch(input, init);
      const target = new Headers(init?.headers).get('x-amz-target');
      if (target && String(input).startsWith(t.url)) {
        const body = JSON.parse(init.body);
        const answer = await res.clone().json();
        log.push({
          op: target.split('.')[1],
          sent: body.ChallengeName,
          got: answer.ChallengeName,
          error: answer.__type,
          newDevice: answer.AuthenticationResult ? !!answer.AuthenticationResult.NewDeviceMetadata : undefined,
        });
      }
      return res;
    };
  });
  after(async () => {
    globalThis.fetch = realFetch;
    await t.close();
  });

  const keyPrefix = () => `CognitoIdentityServiceProvider.${clientId}.hana`;

  test('the library confirms the new device, remembers it, and signs in with it through DEVICE_SRP_AUTH', async () => {
    const user = new CognitoUser({ Username: 'hana', Pool: pool, Storage: storage });
    const first = await signIn(user, 'hana', 'Hana#Pass1');
    // DeviceOnlyRememberedOnUserPrompt: ConfirmDevice answers UserConfirmationNecessary.
    assert.equal(first.confirmationNecessary, true);
    const deviceKey = storage.getItem(`${keyPrefix()}.deviceKey`)!;
    assert.match(deviceKey, /^us-east-1_[0-9a-f-]{36}$/);
    assert.match(storage.getItem(`${keyPrefix()}.deviceGroupKey`)!, /^-[A-Za-z0-9]{8}$/);
    assert.equal(first.session.getAccessToken().decodePayload().device_key, deviceKey);
    assert.deepEqual(
      log.map((e) => e.op),
      ['InitiateAuth', 'RespondToAuthChallenge', 'ConfirmDevice'],
    );

    const before = await call<any>((cb) => user.getDevice({ onSuccess: (r: any) => cb(null, r), onFailure: cb }));
    const remembered = (d: any) => d.Device.DeviceAttributes.find((a: any) => a.Name === 'dev:device_remembered_status').Value;
    assert.equal(remembered(before), 'not_remembered');
    await call((cb) => user.setDeviceStatusRemembered({ onSuccess: (r: any) => cb(null, r), onFailure: cb }));
    const after = await call<any>((cb) => user.getDevice({ onSuccess: (r: any) => cb(null, r), onFailure: cb }));
    assert.equal(remembered(after), 'remembered');
    assert.equal(after.Device.DeviceKey, deviceKey);
    const listed = await call<any>((cb) => user.listDevices(10, null, { onSuccess: (r: any) => cb(null, r), onFailure: cb }));
    assert.deepEqual(listed.Devices.map((d: any) => d.DeviceKey), [deviceKey]);

    // A second sign-in on this device: the library proves the device with its stored secret.
    log.length = 0;
    const again = new CognitoUser({ Username: 'hana', Pool: pool, Storage: storage });
    const second = await signIn(again, 'hana', 'Hana#Pass1');
    assert.deepEqual(
      log.map((e) => [e.op, e.sent ?? null, e.got ?? null]),
      [
        ['InitiateAuth', null, 'PASSWORD_VERIFIER'],
        ['RespondToAuthChallenge', 'PASSWORD_VERIFIER', 'DEVICE_SRP_AUTH'],
        ['RespondToAuthChallenge', 'DEVICE_SRP_AUTH', 'DEVICE_PASSWORD_VERIFIER'],
        ['RespondToAuthChallenge', 'DEVICE_PASSWORD_VERIFIER', null],
      ],
    );
    assert.equal(log[3].newDevice, false);
    assert.equal(second.session.getAccessToken().decodePayload().device_key, deviceKey);

    // refreshSession sends the stored DEVICE_KEY; the refreshed token keeps the device.
    const refreshed = await call<CognitoUserSession>((cb) => again.refreshSession(second.session.getRefreshToken(), cb));
    assert.equal(refreshed.getAccessToken().decodePayload().device_key, deviceKey);
    assert.equal(refreshed.getAccessToken().decodePayload().origin_jti, second.session.getAccessToken().decodePayload().origin_jti);
  });

  test('forgetDevice: the device is refused afterwards and the library falls back to a new device', async () => {
    const user = new CognitoUser({ Username: 'hana', Pool: pool, Storage: storage });
    const { session } = await signIn(user, 'hana', 'Hana#Pass1');
    const deviceKey = storage.getItem(`${keyPrefix()}.deviceKey`)!;
    const refreshToken = session.getRefreshToken().getToken();
    await call((cb) => user.forgetDevice({ onSuccess: (r: any) => cb(null, r), onFailure: cb }));
    assert.equal(storage.getItem(`${keyPrefix()}.deviceKey`), null);

    // Its refresh tokens no longer refresh.
    const r = await rawCall(t.url, 'InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: clientId,
      AuthParameters: { REFRESH_TOKEN: refreshToken, DEVICE_KEY: deviceKey },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.json, { __type: 'NotAuthorizedException', message: 'Invalid Refresh Token.' });

    // Another copy of the app still holds the forgotten key: the server refuses it with
    // ResourceNotFoundException, the library drops it and answers again without it.
    const stale = memoryStorage();
    stale.setItem(`${keyPrefix()}.deviceKey`, deviceKey);
    stale.setItem(`${keyPrefix()}.deviceGroupKey`, '-AAAAAAAA');
    stale.setItem(`${keyPrefix()}.randomPasswordKey`, 'x');
    const stalePool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url, Storage: stale });
    log.length = 0;
    const other = new CognitoUser({ Username: 'hana', Pool: stalePool, Storage: stale });
    const fresh = await signIn(other, 'hana', 'Hana#Pass1');
    assert.deepEqual(
      log.map((e) => [e.op, e.sent ?? null, e.error ?? e.got ?? null]),
      [
        ['InitiateAuth', null, 'PASSWORD_VERIFIER'],
        ['RespondToAuthChallenge', 'PASSWORD_VERIFIER', 'ResourceNotFoundException'],
        ['RespondToAuthChallenge', 'PASSWORD_VERIFIER', null],
        ['ConfirmDevice', null, null],
      ],
    );
    const newKey = stale.getItem(`${keyPrefix()}.deviceKey`);
    assert.ok(newKey && newKey !== deviceKey);
    assert.equal(claims(fresh.session.getAccessToken().getJwtToken()).device_key, newKey);
  });
});
