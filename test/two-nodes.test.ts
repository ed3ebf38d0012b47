import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawCall } from './helpers/tobira.ts';
import { lastCode } from './helpers/outbox.ts';
import { freePort, spawnTobira, waitForHealth, type Spawned } from './helpers/process.ts';

/**
 * Two `tobira start` processes on one data directory, as two nodes behind a load balancer: no
 * state lives only in one process, so every step of a flow may land on either node. (The
 * PostgreSQL store will make the same true across machines.)
 */
describe('two nodes on one store', () => {
  let dir: string;
  const nodes: { proc: Spawned; url: string }[] = [];
  const PUBLIC_URL = 'http://tobira.cluster.test';

  const call = async (node: number, op: string, body: unknown) => {
    const r = await rawCall(nodes[node].url, op, body);
    assert.equal(r.status, 200, `node ${node} ${op}: ${r.text}`);
    return r.json;
  };
  const fail = async (node: number, op: string, body: unknown) => {
    const r = await rawCall(nodes[node].url, op, body);
    assert.equal(r.status, 400, `node ${node} ${op} should fail: ${r.text}`);
    return r.json as { __type: string; message: string };
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tobira-two-nodes-'));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      // One public URL for both, as behind a load balancer: tokens name the same issuer.
      const proc = spawnTobira(['start', '--port', String(port), '--data-dir', dir, '--public-url', PUBLIC_URL, '--log-level', 'error']);
      nodes.push({ proc, url: `http://127.0.0.1:${port}` });
    }
    await Promise.all(nodes.map((n) => waitForHealth(n.url)));
  });
  after(async () => {
    for (const n of nodes) {
      n.proc.child.kill('SIGTERM');
      await n.proc.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('every step of sign-up, sign-in, challenge, refresh, sign-out and recovery may land on either node', async () => {
    const poolId = (await call(0, 'CreateUserPool', { PoolName: 'cluster', AutoVerifiedAttributes: ['email'] })).UserPool.Id;
    const clientId = (
      await call(1, 'CreateUserPoolClient', {
        UserPoolId: poolId,
        ClientName: 'web',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      })
    ).UserPoolClient.ClientId;

    // The challenge Session made on node 0 is answered on node 1.
    await call(1, 'AdminCreateUser', {
      UserPoolId: poolId,
      Username: 'ines',
      TemporaryPassword: 'Temp#Pass12',
      MessageAction: 'SUPPRESS',
      UserAttributes: [{ Name: 'email', Value: 'ines@example.com' }, { Name: 'email_verified', Value: 'true' }],
    });
    const challenge = await call(0, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ines', PASSWORD: 'Temp#Pass12' } });
    assert.equal(challenge.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    const signedIn = (
      await call(1, 'RespondToAuthChallenge', {
        ClientId: clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: challenge.Session,
        ChallengeResponses: { USERNAME: 'ines', NEW_PASSWORD: 'Perm#Pass12' },
      })
    ).AuthenticationResult;
    // ... and is spent for both.
    const reused = await fail(0, 'RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      Session: challenge.Session,
      ChallengeResponses: { USERNAME: 'ines', NEW_PASSWORD: 'Other#Pass12' },
    });
    assert.equal(reused.__type, 'NotAuthorizedException');

    // Tokens signed by one node are accepted by the other; both publish the same keys.
    assert.equal((await call(0, 'GetUser', { AccessToken: signedIn.AccessToken })).Username, 'ines');
    const jwks = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/${poolId}/.well-known/jwks.json`)).text()));
    assert.equal(jwks[0], jwks[1]);
    const refreshed = (await call(0, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: signedIn.RefreshToken } }))
      .AuthenticationResult;
    assert.equal((await call(1, 'GetUser', { AccessToken: refreshed.AccessToken })).Username, 'ines');

    // A sign-out on one node is seen by the other at once.
    await call(1, 'GlobalSignOut', { AccessToken: refreshed.AccessToken });
    assert.deepEqual(await fail(0, 'GetUser', { AccessToken: signedIn.AccessToken }), {
      __type: 'NotAuthorizedException',
      message: 'Access Token has been revoked',
    });
    assert.equal((await fail(0, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: signedIn.RefreshToken } })).__type, 'NotAuthorizedException');

    // A reset code sent by node 0 (read from node 1's outbox) is redeemed on node 1.
    await call(0, 'ForgotPassword', { ClientId: clientId, Username: 'ines' });
    const code = await lastCode(nodes[1].url, 'ines@example.com');
    await call(1, 'ConfirmForgotPassword', { ClientId: clientId, Username: 'ines', ConfirmationCode: code, Password: 'New#Pass123' });
    assert.equal(
      (await fail(0, 'ConfirmForgotPassword', { ClientId: clientId, Username: 'ines', ConfirmationCode: code, Password: 'New#Pass456' })).__type,
      'ExpiredCodeException',
    );
    await call(0, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ines', PASSWORD: 'New#Pass123' } });
  });

  test('failed sign-ins are counted across nodes: concurrent guesses on both cannot pass the limit', async () => {
    const poolId = (await call(1, 'CreateUserPool', { PoolName: 'lockout' })).UserPool.Id;
    const clientId = (await call(0, 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'web', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))
      .UserPoolClient.ClientId;
    await call(0, 'AdminCreateUser', { UserPoolId: poolId, Username: 'jo', MessageAction: 'SUPPRESS' });
    await call(1, 'AdminSetUserPassword', { UserPoolId: poolId, Username: 'jo', Password: 'Right#Pass1', Permanent: true });
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        rawCall(nodes[i % 2].url, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'jo', PASSWORD: `Wrong#Pass${i}` } }),
      ),
    );
    const messages = guesses.map((g) => `${g.json.__type}: ${g.json.message}`);
    assert.equal(messages.filter((m) => m === 'NotAuthorizedException: Incorrect username or password.').length, 5, messages.join('\n'));
    assert.equal(messages.filter((m) => m === 'NotAuthorizedException: Password attempts exceeded').length, 7, messages.join('\n'));
    // Locked on both nodes, even for the right password.
    for (const node of [0, 1]) {
      assert.equal(
        (await fail(node, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'jo', PASSWORD: 'Right#Pass1' } })).message,
        'Password attempts exceeded',
      );
    }
  });
});
