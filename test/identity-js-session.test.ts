import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserAttribute,
  CognitoUserPool,
  type CognitoUserSession,
} from 'amazon-cognito-identity-js';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { lastCode } from './helpers/outbox.ts';
import { startTestServer } from './helpers/tobira.ts';
import type { Running } from '../src/tobira.ts';

/** A fresh storage per user object, so one test's tokens never leak into another. */
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

function signIn(user: CognitoUser, username: string, password: string): Promise<CognitoUserSession> {
  return new Promise((resolve, reject) =>
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: resolve,
      onFailure: reject,
      newPasswordRequired: () => reject(new Error('unexpected newPasswordRequired')),
    }),
  );
}

describe("a session's life with amazon-cognito-identity-js", () => {
  let t: Running;
  let pool: CognitoUserPool;
  let poolId: string;
  const storage = memoryStorage();
  before(async () => {
    t = await startTestServer();
    let clientId: string;
    ({ poolId, clientId } = await poolWithClient(t.url, { AutoVerifiedAttributes: ['email'] }));
    pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url, Storage: storage });
  });
  after(() => t.close());

  test('USER_PASSWORD_AUTH, getSession from storage, attributes, changePassword', async () => {
    await userWithPassword(t.url, poolId, 'dana', 'Dana#Pass1', { attributes: { email: 'dana@example.com', email_verified: 'true', name: 'Dana' } });
    const user = new CognitoUser({ Username: 'dana', Pool: pool, Storage: storage });
    user.setAuthenticationFlowType('USER_PASSWORD_AUTH');
    const session = await signIn(user, 'dana', 'Dana#Pass1');
    assert.equal(session.getIdToken().decodePayload()['cognito:username'], 'dana');

    // The pool finds the signed-in user in storage; its session is the one just made.
    const current = pool.getCurrentUser();
    assert.equal(current?.getUsername(), 'dana');
    const stored = await call<CognitoUserSession>((cb) => current!.getSession(cb));
    assert.ok(stored.isValid());
    assert.equal(stored.getAccessToken().getJwtToken(), session.getAccessToken().getJwtToken());

    const attrs = await call<CognitoUserAttribute[]>((cb) => current!.getUserAttributes(cb));
    const byName = Object.fromEntries(attrs.map((a) => [a.getName(), a.getValue()]));
    assert.equal(byName.email, 'dana@example.com');
    assert.equal(byName.name, 'Dana');
    assert.match(byName.sub, /^[0-9a-f-]{36}$/);

    assert.equal(await call<string>((cb) => current!.changePassword('Dana#Pass1', 'Dana#Pass2', cb)), 'SUCCESS');
    const wrongOld = await call((cb) => current!.changePassword('Dana#Pass1', 'Dana#Pass3', cb)).then(
      () => assert.fail('expected a failure'),
      (e: any) => e,
    );
    assert.equal(wrongOld.code, 'NotAuthorizedException');
    assert.equal(wrongOld.message, 'Incorrect username or password.');
    const again = new CognitoUser({ Username: 'dana', Pool: pool, Storage: memoryStorage() });
    again.setAuthenticationFlowType('USER_PASSWORD_AUTH');
    await signIn(again, 'dana', 'Dana#Pass2');
  });

  test('globalSignOut revokes the access token; signOut revokes the refresh token', async () => {
    await userWithPassword(t.url, poolId, 'eli', 'Eli#Pass12', { attributes: { email: 'eli@example.com' } });
    const user = new CognitoUser({ Username: 'eli', Pool: pool, Storage: memoryStorage() });
    const first = await signIn(user, 'eli', 'Eli#Pass12'); // USER_SRP_AUTH, the library's default
    await new Promise<void>((resolve, reject) => user.globalSignOut({ onSuccess: () => resolve(), onFailure: reject }));
    const probe = new CognitoUser({ Username: 'eli', Pool: pool, Storage: memoryStorage() });
    probe.setSignInUserSession(first);
    const revoked = await call((cb) => probe.getUserAttributes(cb)).then(
      () => assert.fail('expected a failure'),
      (e: any) => e,
    );
    assert.equal(revoked.code, 'NotAuthorizedException');
    assert.equal(revoked.message, 'Access Token has been revoked');
    const refreshAfterGlobal = await call((cb) => probe.refreshSession(first.getRefreshToken(), cb)).then(
      () => assert.fail('expected a failure'),
      (e: any) => e,
    );
    assert.equal(refreshAfterGlobal.code, 'NotAuthorizedException');

    // signOut() calls RevokeToken with the refresh token (the client has revocation on by default).
    const second = await signIn(user, 'eli', 'Eli#Pass12');
    await new Promise<void>((resolve, reject) => user.signOut((err?: Error) => (err ? reject(err) : resolve())));
    const after = new CognitoUser({ Username: 'eli', Pool: pool, Storage: memoryStorage() });
    const refreshAfterSignOut = await call((cb) => after.refreshSession(second.getRefreshToken(), cb)).then(
      () => assert.fail('expected a failure'),
      (e: any) => e,
    );
    assert.equal(refreshAfterSignOut.code, 'NotAuthorizedException');
    assert.equal(refreshAfterSignOut.message, 'Refresh Token has been revoked');
  });

  test('signUp, resendConfirmationCode, confirmRegistration with the resent code', async () => {
    const result = await call<any>((cb) =>
      pool.signUp('fumi', 'Fumi#Pass1', [new CognitoUserAttribute({ Name: 'email', Value: 'fumi@example.com' })], [], cb),
    );
    assert.equal(result.userConfirmed, false);
    const firstCode = await lastCode(t.url, 'fumi@example.com');
    const user = new CognitoUser({ Username: 'fumi', Pool: pool, Storage: memoryStorage() });
    const resent = await call<any>((cb) => user.resendConfirmationCode(cb));
    assert.deepEqual(resent.CodeDeliveryDetails, { AttributeName: 'email', DeliveryMedium: 'EMAIL', Destination: 'f***@e***' });
    const code = await lastCode(t.url, 'fumi@example.com');
    if (code !== firstCode) {
      const stale = await call((cb) => user.confirmRegistration(firstCode, false, cb)).then(
      () => assert.fail('expected a failure'),
      (e: any) => e,
    );
      assert.equal(stale.code, 'CodeMismatchException');
    }
    assert.equal(await call((cb) => user.confirmRegistration(code, false, cb)), 'SUCCESS');
    await signIn(user, 'fumi', 'Fumi#Pass1');
  });
});
