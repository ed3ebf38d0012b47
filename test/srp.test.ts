import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync, randomBytes } from 'node:crypto';
import {
  AuthenticationDetails,
  CognitoUser,
  CognitoUserPool,
  type CognitoUserSession,
} from 'amazon-cognito-identity-js';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { SrpClient } from './helpers/srp-client.ts';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';
import {
  N,
  computeVerifier,
  g,
  modPow,
  modPowN,
  padHex,
  passwordClaimSignature,
  privateKeyX,
  scramblingU,
  serverPublicB,
  serverSecretS,
  sessionKey,
} from '../src/domain/sign-in/srp-math.ts';
import { formatSrpTimestamp, parseSrpTimestamp, serverKeys } from '../src/domain/sign-in/srp.ts';
import type { App } from '../src/app.ts';

describe('SRP arithmetic', () => {
  test('reproduces the reference test vector (cognito-protocols.md §4.9)', () => {
    const poolId = 'us-east-1_TestPool1';
    const salt = '8ce8291892390f6b53a245933faf6164';
    assert.equal(privateKeyX(poolId, 'alice', 'Passw0rd!', salt).toString(16), 'abd0cd46dded52ae108016581e4223365f062065561b938d8ec8ace063b1bc29');
    const v = BigInt(`0x${computeVerifier(poolId, 'alice', 'Passw0rd!', salt)}`);
    const a = BigInt(`0x${'11'.repeat(128)}`);
    const b = BigInt(`0x${'22'.repeat(128)}`);
    const A = modPowN(g, a);
    const B = serverPublicB(v, b);
    assert.match(A.toString(16), /^67679d4fea151663.*373a857c32e03a6c$/);
    assert.match(B.toString(16), /^51f2ca32a29eab1a.*5450e1b82e258c90$/);
    const u = scramblingU(A, B);
    assert.equal(u.toString(16), '92e5a0f5ac5210d19ed7b5999b6cdd4078c143f4d09fd8e99a0529c0b592e46c');
    const S = serverSecretS(A, v, u, b);
    assert.match(S.toString(16), /^64fc656f3bfb3a94.*5328a8e65e16b11e$/);
    const K = sessionKey(S, u);
    assert.equal(K.toString('hex'), '4ed24ba2fd44509cf3291996193095b5');
    const sig = passwordClaimSignature(K, poolId, 'alice', Buffer.from('secret-block-bytes-0123456789'), 'Tue Sep 25 18:17:23 UTC 2018');
    assert.equal(sig.toString('base64'), 'p6Snay78+RV28w4VV2PywgulYojZMwLYezZFdTz+QdQ=');
  });

  test('sessionKey is HKDF-SHA256 as node:crypto computes it, for values with and without a sign byte', () => {
    for (let i = 0; i < 200; i++) {
      // Every other S and u with its top bit set, so that padHex prefixes 00; S of any length up to N's.
      const S = BigInt(`0x${randomBytes(1 + (i % 384)).toString('hex')}`) | (i % 2 ? 1n << BigInt(8 * (1 + (i % 384)) - 1) : 0n);
      const u = BigInt(`0x${randomBytes(32).toString('hex')}`) | (i % 4 < 2 ? 1n << 255n : 0n);
      const expected = Buffer.from(hkdfSync('sha256', Buffer.from(padHex(S), 'hex'), Buffer.from(padHex(u), 'hex'), Buffer.from('Caldera Derived Key', 'utf8'), 16));
      assert.equal(sessionKey(S, u).toString('hex'), expected.toString('hex'), `S=${S.toString(16)} u=${u.toString(16)}`);
    }
  });

  test('the OpenSSL-backed modPowN agrees with plain BigInt arithmetic, edge bases included', () => {
    for (const [base, exp] of [[3n, 12345n], [N - 1n, 3n], [1n, 99n], [0n, 5n], [N + 5n, 7n], [123456789n, 2n ** 200n + 1n]]) {
      assert.equal(modPowN(base, exp), modPow(base, exp, N), `${base}^${exp}`);
    }
  });

  test('modPowN keeps no exponent or result from one call to the next (its OpenSSL context is shared)', () => {
    const b1 = 2n ** 279n + 12345n;
    const b2 = 2n ** 255n + 777n;
    const first = modPowN(g, b1);
    assert.equal(modPowN(987654321n, b2), modPow(987654321n, b2, N));
    assert.equal(modPowN(g, b2), modPow(g, b2, N));
    assert.equal(modPowN(g, b1), first);
    assert.equal(first, modPow(g, b1, N));
  });

  test("the server's secret b has at least RFC 7919's 275 bits for the 3072-bit group, fresh each time", () => {
    const asked: number[] = [];
    const app = { random: { bytes: (n: number) => (asked.push(n), randomBytes(n)) } } as unknown as App;
    const v = BigInt(`0x${computeVerifier('us-east-1_TestPool1', 'alice', 'Passw0rd!', '8ce8291892390f6b53a245933faf6164')}`);
    const one = serverKeys(app, v);
    const two = serverKeys(app, v);
    assert.ok(asked.length >= 2 && asked.every((n) => n * 8 >= 275), `bytes drawn: ${asked}`);
    assert.notEqual(one.b, two.b);
    assert.equal(one.B, serverPublicB(v, one.b));
  });

  test('TIMESTAMP must be the client format, day unpadded, with the right weekday', () => {
    assert.equal(parseSrpTimestamp('Tue Sep 25 18:17:23 UTC 2018'), Date.UTC(2018, 8, 25, 18, 17, 23));
    assert.equal(parseSrpTimestamp('Sun Nov 2 03:04:05 UTC 2025'), Date.UTC(2025, 10, 2, 3, 4, 5));
    assert.equal(parseSrpTimestamp('Sun Nov 02 03:04:05 UTC 2025'), null);
    assert.equal(parseSrpTimestamp('Mon Nov 2 03:04:05 UTC 2025'), null);
    assert.equal(parseSrpTimestamp('Sun Feb 30 03:04:05 UTC 2025'), null);
    assert.equal(parseSrpTimestamp('Sun Nov 2 24:04:05 UTC 2025'), null);
    assert.equal(parseSrpTimestamp('2025-11-02T03:04:05Z'), null);
    assert.equal(formatSrpTimestamp(Date.UTC(2025, 10, 2, 3, 4, 5)), 'Sun Nov 2 03:04:05 UTC 2025');
  });
});

type Outcome =
  | { kind: 'success'; session: CognitoUserSession }
  | { kind: 'newPassword'; userAttributes: any; requiredAttributes: any }
  | { kind: 'failure'; err: any };

/** amazon-cognito-identity-js's CognitoUser.authenticateUser (USER_SRP_AUTH), as a promise. */
function authenticate(user: CognitoUser, username: string, password: string): Promise<Outcome> {
  return new Promise((resolve) => {
    user.authenticateUser(new AuthenticationDetails({ Username: username, Password: password }), {
      onSuccess: (session) => resolve({ kind: 'success', session }),
      onFailure: (err) => resolve({ kind: 'failure', err }),
      newPasswordRequired: (userAttributes, requiredAttributes) => resolve({ kind: 'newPassword', userAttributes, requiredAttributes }),
    });
  });
}

function completeNewPassword(user: CognitoUser, password: string, attributes: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve) => {
    user.completeNewPasswordChallenge(password, attributes, {
      onSuccess: (session) => resolve({ kind: 'success', session }),
      onFailure: (err) => resolve({ kind: 'failure', err }),
    });
  });
}

describe('USER_SRP_AUTH with amazon-cognito-identity-js', () => {
  let t: Running;
  let poolId: string;
  let clientId: string;
  let pool: CognitoUserPool;
  before(async () => {
    t = await startTestServer();
    ({ poolId, clientId } = await poolWithClient(t.url, {
      Schema: [{ Name: 'email', AttributeDataType: 'String', Mutable: true, Required: true }],
    }));
    pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url });
  });
  after(() => t.close());

  test('authenticateUser signs a confirmed user in, and refreshSession refreshes', async () => {
    await userWithPassword(t.url, poolId, 'alice', 'Alice#Pass1', { attributes: { email: 'alice@example.com' } });
    const user = new CognitoUser({ Username: 'alice', Pool: pool });
    const r = await authenticate(user, 'alice', 'Alice#Pass1');
    assert.equal(r.kind, 'success', r.kind === 'failure' ? String(r.err) : '');
    const session = (r as { session: CognitoUserSession }).session;
    assert.ok(session.isValid());
    const id = session.getIdToken().decodePayload();
    assert.equal(id['cognito:username'], 'alice');
    assert.equal(id.email, 'alice@example.com');
    assert.equal(session.getAccessToken().decodePayload().client_id, clientId);

    const refreshed = await new Promise<CognitoUserSession>((resolve, reject) =>
      user.refreshSession(session.getRefreshToken(), (err: any, s: CognitoUserSession) => (err ? reject(err) : resolve(s))),
    );
    const again = refreshed.getAccessToken().decodePayload();
    assert.notEqual(again.jti, session.getAccessToken().decodePayload().jti);
    assert.equal(again.origin_jti, session.getAccessToken().decodePayload().origin_jti);
    assert.equal(refreshed.getRefreshToken().getToken(), session.getRefreshToken().getToken());
  });

  test('an alias or a different case finds the user; a wrong password is refused as Cognito words it', async () => {
    await userWithPassword(t.url, poolId, 'Bob', 'Bob#Pass123', { attributes: { email: 'bob@example.com' } });
    const ok = await authenticate(new CognitoUser({ Username: 'BOB', Pool: pool }), 'BOB', 'Bob#Pass123');
    assert.equal(ok.kind, 'success');
    const bad = await authenticate(new CognitoUser({ Username: 'bob', Pool: pool }), 'bob', 'Bob#Pass124');
    assert.equal(bad.kind, 'failure');
    assert.equal((bad as any).err.code, 'NotAuthorizedException');
    assert.equal((bad as any).err.message, 'Incorrect username or password.');
  });

  test('newPasswordRequired, then completeNewPasswordChallenge with a required attribute', async () => {
    await userWithPassword(t.url, poolId, 'carol', 'Temp#Pass123', { temporary: true });
    const user = new CognitoUser({ Username: 'carol', Pool: pool });
    const r = await authenticate(user, 'carol', 'Temp#Pass123');
    assert.equal(r.kind, 'newPassword');
    const { userAttributes, requiredAttributes } = r as any;
    assert.deepEqual(requiredAttributes, ['email']);
    assert.deepEqual(userAttributes, { email: '' });
    const done = await completeNewPassword(user, 'Carol#Perm456', { email: 'carol@example.com' });
    assert.equal(done.kind, 'success', done.kind === 'failure' ? String(done.err) : '');
    assert.equal((done as any).session.getIdToken().decodePayload().email, 'carol@example.com');
    const again = await authenticate(new CognitoUser({ Username: 'carol', Pool: pool }), 'carol', 'Carol#Perm456');
    assert.equal(again.kind, 'success');
  });

  test('an email-username pool: USER_ID_FOR_SRP is the internal username (the sub)', async () => {
    const c = await poolWithClient(t.url, { UsernameAttributes: ['email'] });
    const sub = await userWithPassword(t.url, c.poolId, 'dave@example.com', 'Dave#Pass123', { attributes: { email: 'dave@example.com' } });
    const p = new CognitoUserPool({ UserPoolId: c.poolId, ClientId: c.clientId, endpoint: t.url });
    const r = await authenticate(new CognitoUser({ Username: 'dave@example.com', Pool: p }), 'dave@example.com', 'Dave#Pass123');
    assert.equal(r.kind, 'success', r.kind === 'failure' ? String(r.err) : '');
    assert.equal((r as any).session.getAccessToken().decodePayload().username, sub);
    assert.equal((r as any).session.getAccessToken().decodePayload().sub, sub);
  });
});

describe('USER_SRP_AUTH on the wire', () => {
  let t: Running;
  let poolId: string;
  let clientId: string;
  const start = async (username: string, srp: SrpClient, cid = clientId) =>
    rawCall(t.url, 'InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: cid, AuthParameters: { USERNAME: username, SRP_A: await srp.srpA() } });
  const verify = (responses: Record<string, string>, cid = clientId) =>
    rawCall(t.url, 'RespondToAuthChallenge', { ClientId: cid, ChallengeName: 'PASSWORD_VERIFIER', ChallengeResponses: responses });
  before(async () => {
    t = await startTestServer();
    ({ poolId, clientId } = await poolWithClient(t.url));
    await userWithPassword(t.url, poolId, 'erin', 'Erin#Pass123');
  });
  after(() => t.close());

  test('the challenge carries SALT, SRP_B, SECRET_BLOCK, USERNAME and USER_ID_FOR_SRP, and no Session', async () => {
    const r = await start('ERIN', new SrpClient(poolId));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.ChallengeName, 'PASSWORD_VERIFIER');
    assert.equal(r.json.Session, undefined);
    const p = r.json.ChallengeParameters;
    assert.deepEqual(Object.keys(p).sort(), ['SALT', 'SECRET_BLOCK', 'SRP_B', 'USERNAME', 'USER_ID_FOR_SRP']);
    assert.equal(p.USERNAME, 'erin');
    assert.equal(p.USER_ID_FOR_SRP, 'erin');
    assert.match(p.SALT, /^[0-9a-f]{1,32}$/);
    assert.match(p.SRP_B, /^[0-9a-f]{700,768}$/);
    assert.deepEqual(Buffer.from(p.SECRET_BLOCK, 'base64').toString('base64'), p.SECRET_BLOCK);
  });

  test('a right proof signs in once; its SECRET_BLOCK cannot be used again', async () => {
    const srp = new SrpClient(poolId);
    const c = await start('erin', srp);
    const answer = await srp.answer(c.json.ChallengeParameters, 'Erin#Pass123');
    const r = await verify(answer);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.ChallengeParameters, {});
    assert.equal(claims(r.json.AuthenticationResult.AccessToken).username, 'erin');
    const again = await verify(answer);
    assert.equal(again.json.__type, 'NotAuthorizedException');
    assert.equal(again.json.message, 'Invalid session for the user, session can only be used once.');
  });

  test('a zero-padded day, a wrong weekday or a stale TIMESTAMP is a wrong password', async () => {
    for (const stamp of ['Tue Sep 05 18:17:23 UTC 2023', 'Mon Sep 5 18:17:23 UTC 2023', 'Tue Sep 5 18:17:23 UTC 2023']) {
      const srp = new SrpClient(poolId);
      const c = await start('erin', srp);
      const r = await verify(await srp.answer(c.json.ChallengeParameters, 'Erin#Pass123', stamp));
      assert.equal(r.json.__type, 'NotAuthorizedException', stamp);
      assert.equal(r.json.message, 'Incorrect username or password.', stamp);
    }
  });

  test('SRP_A that is 0 mod N, or not hex, is refused; a missing one is named', async () => {
    for (const A of [N.toString(16), '0', 'xyz']) {
      const r = await rawCall(t.url, 'InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'erin', SRP_A: A } });
      assert.equal(r.json.__type, 'InvalidParameterException', A);
    }
    const r = await rawCall(t.url, 'InitiateAuth', { AuthFlow: 'USER_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'erin' } });
    assert.equal(r.json.message, 'Missing required parameter SRP_A');
  });

  test('an unknown user: UserNotFoundException, or with PreventUserExistenceErrors a stable simulated challenge', async () => {
    let r = await start('nobody', new SrpClient(poolId));
    assert.equal(r.json.__type, 'UserNotFoundException');
    assert.equal(r.json.message, 'User does not exist.');

    const hidden = await rawCall(t.url, 'CreateUserPoolClient', {
      UserPoolId: poolId,
      ClientName: 'hidden',
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    const hiddenId = hidden.json.UserPoolClient.ClientId;
    const srp = new SrpClient(poolId);
    const first = await start('nobody', srp, hiddenId);
    assert.equal(first.json.ChallengeName, 'PASSWORD_VERIFIER');
    const second = await start('nobody', new SrpClient(poolId), hiddenId);
    assert.equal(second.json.ChallengeParameters.SALT, first.json.ChallengeParameters.SALT);
    assert.notEqual(second.json.ChallengeParameters.SRP_B, first.json.ChallengeParameters.SRP_B);
    const other = await start('somebody', new SrpClient(poolId), hiddenId);
    assert.notEqual(other.json.ChallengeParameters.SALT, first.json.ChallengeParameters.SALT);
    r = await verify(await srp.answer(first.json.ChallengeParameters, 'Any#Pass123'), hiddenId);
    assert.equal(r.json.__type, 'NotAuthorizedException');
    assert.equal(r.json.message, 'Incorrect username or password.');
  });

  test('a SECRET_BLOCK is bound to its client, and a made-up one is an invalid session', async () => {
    const other = await rawCall(t.url, 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'other', ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] });
    const srp = new SrpClient(poolId);
    const c = await start('erin', srp);
    const answer = await srp.answer(c.json.ChallengeParameters, 'Erin#Pass123');
    let r = await verify(answer, other.json.UserPoolClient.ClientId);
    assert.equal(r.json.message, 'Invalid session for the user.');
    r = await verify({ ...answer, PASSWORD_CLAIM_SECRET_BLOCK: Buffer.from('made up').toString('base64') });
    assert.equal(r.json.message, 'Invalid session for the user.');
    r = await verify(answer);
    assert.equal(r.status, 200, r.text);
  });
});
