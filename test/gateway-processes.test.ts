import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTobira, waitForHealth, type Spawned } from './helpers/process.ts';
import { aws } from './helpers/tobira.ts';
import { curl, seedPoolAndUser, signIn, waitForGateway, type SeedUser } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';

// Seed 004 across three processes, as on separate machines: `tobira start`, `tobira gateway`
// (which knows Tobira only by its URL: JWKS, discovery, token status) and the AWS CLI / curl.

const FIXTURES = join(import.meta.dirname, 'fixtures');
const UNAUTHORIZED = '{"message":"Unauthorized"}';
const header = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString());

describe('tobira gateway and tobira start in separate processes', needs('aws', 'curl'), () => {
  let dir: string;
  let tobira: Spawned;
  let gateway: Spawned;
  let tobiraUrl: string;
  let gatewayUrl: string;
  let user: SeedUser;

  /** The claims the Lambda logged for its last call (it logs one `caller {...}` line per call). */
  const lastCaller = () => {
    const lines = gateway.output().split('\n').filter((l) => l.startsWith('caller '));
    return JSON.parse(lines[lines.length - 1].slice('caller '.length));
  };
  const post = (token?: string) => curl(['-X', 'POST', `${gatewayUrl}/test/`, ...(token ? ['-H', `Authorization: Bearer ${token}`] : [])]);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-gw-proc-'));
    const port = await freePort();
    tobiraUrl = `http://127.0.0.1:${port}`;
    tobira = spawnTobira(['start', '--port', String(port), '--data-dir', dir]);
    await waitForHealth(tobiraUrl);
    user = await seedPoolAndUser(tobiraUrl, { groups: ['admins'] });
    const gwPort = await freePort();
    gatewayUrl = `http://127.0.0.1:${gwPort}`;
    gateway = spawnTobira([
      'gateway', '--port', String(gwPort), '--endpoint', tobiraUrl, '--user-pool-id', user.poolId,
      '--lambda', join(FIXTURES, 'hello-logs.mjs#handler'),
      // Token-status answers are not reused, so a sign-out shows on the next request.
      '--revocation-cache-seconds', '0',
    ]);
    await waitForGateway(gatewayUrl, gateway);
  });
  after(async () => {
    for (const p of [gateway, tobira]) {
      if (p && p.child.exitCode === null) {
        p.child.kill('SIGTERM');
        await p.exited;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('curl -X POST <gateway>/test/ with the ID token: "Hello from Lambda!", and the Lambda sees sub, email and cognito:groups', async () => {
    const { IdToken } = await signIn(tobiraUrl, user);
    const r = await post(IdToken);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, '"Hello from Lambda!"');
    const id = JSON.parse(Buffer.from(IdToken.split('.')[1], 'base64url').toString());
    const claims = lastCaller();
    assert.equal(claims.sub, id.sub);
    assert.equal(claims.email, user.email);
    assert.equal(claims['cognito:groups'], 'admins');
    assert.equal(claims.token_use, 'id');
  });

  test('missing, tampered and wrong-type tokens: 401 {"message":"Unauthorized"}', async () => {
    const { IdToken, AccessToken } = await signIn(tobiraUrl, user);
    const [h, p, s] = IdToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), 'cognito:groups': ['root'] })).toString('base64url');
    for (const token of [undefined, `${h}.${forged}.${s}`, AccessToken]) {
      const r = await post(token);
      assert.equal(r.status, 401);
      assert.equal(r.body, UNAUTHORIZED);
    }
  });

  test('tobira keys rotate while both run: new tokens carry a new kid and pass at once; tokens signed before keep passing', async () => {
    const before = await signIn(tobiraUrl, user);
    assert.equal((await post(before.IdToken)).status, 200); // the gateway has fetched the JWKS just now

    const rotate = spawnTobira(['keys', 'rotate', '--pool', user.poolId, '--data-dir', dir]);
    assert.equal((await rotate.exited).code, 0, rotate.output());

    const afterRotation = await signIn(tobiraUrl, user);
    assert.notEqual(header(afterRotation.IdToken).kid, header(before.IdToken).kid, 'the new token has the new kid');
    // The unknown kid makes the gateway refetch the JWKS on this very request.
    const fresh = await post(afterRotation.IdToken);
    assert.equal(fresh.status, 200, fresh.body);
    // The retired key stays in the JWKS until its last token has expired.
    assert.equal((await post(before.IdToken)).status, 200);
  });

  test('GlobalSignOut (AWS CLI, against Tobira) is seen by the gateway in the other process: 401', async () => {
    const tokens = await signIn(tobiraUrl, user);
    assert.equal((await post(tokens.IdToken)).status, 200);
    const out = await aws(tobiraUrl, ['cognito-idp', 'global-sign-out', '--access-token', tokens.AccessToken]);
    assert.equal(out.code, 0, out.stderr);
    const r = await post(tokens.IdToken);
    assert.equal(r.status, 401);
    assert.equal(r.body, UNAUTHORIZED);
    // GlobalSignOut cuts at the start of its second: the next sign-in must come after it.
    await new Promise((res) => setTimeout(res, 1100));
  });

  test('Tobira stopped: known keys still verify, but the revocation check cannot be answered, so 401', async () => {
    const { IdToken } = await signIn(tobiraUrl, user);
    assert.equal((await post(IdToken)).status, 200);
    tobira.child.kill('SIGTERM');
    assert.equal((await tobira.exited).code, 0);
    const r = await post(IdToken);
    assert.equal(r.status, 401);
    assert.equal(r.body, UNAUTHORIZED);
    assert.doesNotMatch(gateway.output(), new RegExp(IdToken.split('.')[2]), 'tokens never reach the log');
  });
});
