import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTobira, waitForHealth } from './helpers/process.ts';
import { startTestServer } from './helpers/tobira.ts';
import { curl, seedPoolAndUser, signIn, waitForGateway, type SeedUser } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';
import { gatewayConfigFromArgs } from '../src/cli/gateway.ts';
import { parseArgs } from '../src/cli/args.ts';
import type { Running } from '../src/tobira.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('tobira gateway: flags', () => {
  const parse = (line: string[]) => gatewayConfigFromArgs(parseArgs(line, 'gateway'), FIXTURES);

  test('flags alone make one route ANY /{proxy+} with a Cognito authorizer', () => {
    const c = parse(['--port', '8123', '--endpoint', 'http://127.0.0.1:9329/', '--user-pool-id', 'us-east-1_abc', '--lambda', 'hello.mjs#handler']);
    assert.equal(c.port, 8123);
    assert.equal(c.apiType, 'rest');
    assert.equal(c.routes.length, 1);
    const r = c.routes[0];
    assert.equal(r.key, 'ANY /{proxy+}');
    assert.equal(r.authorizer, 'cognito');
    assert.equal(r.endpoint, 'http://127.0.0.1:9329');
    assert.equal(r.tokenSource, 'authorization');
    assert.deepEqual(r.scopes, []);
    assert.deepEqual(r.integration, { type: 'lambda', file: join(FIXTURES, 'hello.mjs'), handler: 'handler', payloadFormat: '1.0', timeoutMs: 29_000 });
  });

  test('--scopes, --client-ids, --upstream, --api-type http, --token-source, --stage', () => {
    const c = parse([
      '--endpoint', 'http://t:1', '--user-pool-id', 'eu-west-1_X1', '--upstream', 'http://127.0.0.1:3000/api',
      '--scopes', 'orders/read, orders/write', '--client-ids', 'c1,c2', '--api-type', 'http', '--token-source', 'X-Token', '--stage', 'prod',
    ]);
    const r = c.routes[0];
    assert.deepEqual(r.scopes, ['orders/read', 'orders/write']);
    assert.deepEqual(r.clientIds, ['c1', 'c2']);
    assert.equal(r.authorizer, 'jwt');
    assert.equal(r.tokenSource, 'x-token');
    assert.equal(c.stage, 'prod');
    assert.deepEqual(r.integration, { type: 'upstream', url: 'http://127.0.0.1:3000/api', timeoutMs: 29_000 });
  });

  test('bad flags are refused with a clear message', () => {
    const bad: [string[], RegExp][] = [
      [['--endpoint', 'http://t:1', '--user-pool-id', 'us-east-1_a'], /--lambda .* or --upstream/],
      [['--endpoint', 'http://t:1', '--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs', '--upstream', 'http://u'], /exactly one/],
      [['--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs'], /endpoint/],
      [['--endpoint', 'http://t:1', '--lambda', 'a.mjs'], /userPoolId/],
      [['--endpoint', 'http://t:1', '--user-pool-id', 'no-underscore', '--lambda', 'a.mjs'], /invalid user pool id/],
      [['--endpoint', 'ftp://t', '--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs'], /http/],
      [['--endpoint', 'http://t:1', '--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs', '--port', 'eighty'], /port/],
      [['--endpoint', 'http://t:1', '--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs', '--api-type', 'soap'], /apiType/],
      [['--endpoint', 'http://t:1', '--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs', '--payload-format', '2.0'], /payload format 1.0/],
      [['--endpoint', 'http://t:1', '--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs', '--colour', 'red'], /unknown option --colour/],
      [['--endpoint', 'http://t:1', '--user-pool-id', 'us-east-1_a', '--lambda', 'a.mjs#not-a-name'], /handler name/],
      [['--endpoint'], /needs a value/],
    ];
    for (const [line, message] of bad) assert.throws(() => parse(line), message, line.join(' '));
  });

  test('a configuration file: many routes, relative Lambda paths, flags over the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tobira-gw-'));
    try {
      const file = join(dir, 'gateway.json');
      writeFileSync(file, JSON.stringify({
        port: 9000,
        endpoint: 'http://t:1',
        userPoolId: 'us-east-1_a',
        routes: [
          { route: 'ANY /{proxy+}', lambda: 'handlers/all.mjs' },
          { route: 'GET /items/{id}', upstream: 'http://u/items/{id}', scopes: ['items/read'] },
          { route: 'GET /items/special', lambda: '/abs/special.mjs#get' },
        ],
      }));
      const c = gatewayConfigFromArgs(parseArgs(['--config', file, '--port', '9001'], 'gateway'));
      assert.equal(c.port, 9001);
      // Most specific first: literal segments, then parameters, then greedy.
      assert.deepEqual(c.routes.map((r) => r.key), ['GET /items/special', 'GET /items/{id}', 'ANY /{proxy+}']);
      assert.equal((c.routes[2].integration as { file: string }).file, join(dir, 'handlers', 'all.mjs'));
      assert.throws(() => gatewayConfigFromArgs(parseArgs(['--config', join(dir, 'missing.json')], 'gateway')), /cannot read/);
      writeFileSync(file, '{"routes": [{"route": "FETCH /x", "lambda": "a.mjs"}], "endpoint": "http://t", "userPoolId": "us-east-1_a"}');
      assert.throws(() => gatewayConfigFromArgs(parseArgs(['--config', file], 'gateway')), /routes\[0\]: route "FETCH \/x": unknown method/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('tobira gateway as a process, against a Tobira in another process', needs('aws', 'curl'), () => {
  let t: Running;
  let user: SeedUser;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tobira-gw-'));
    t = await startTestServer({ dataDir: dir });
    user = await seedPoolAndUser(t.url, { groups: ['admins'] });
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('node bin/tobira.cjs gateway --port --endpoint --user-pool-id --lambda: seed 004 through curl', async () => {
    const port = await freePort();
    const p = spawnTobira(['gateway', '--port', String(port), '--endpoint', t.url, '--user-pool-id', user.poolId, '--lambda', join(FIXTURES, 'echo.mjs#handler')]);
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForGateway(url, p);
      assert.match(p.output(), new RegExp(`gateway listening on ${url}`));
      const { IdToken } = await signIn(t.url, user);
      const r = await curl(['-X', 'POST', `${url}/test/`, '-H', `Authorization: Bearer ${IdToken}`]);
      assert.equal(r.status, 200, r.body);
      const claims = JSON.parse(r.body).requestContext.authorizer.claims;
      assert.equal(claims.email, user.email);
      assert.equal(claims['cognito:groups'], 'admins');
      const no = await curl(['-X', 'POST', `${url}/test/`]);
      assert.equal(no.status, 401);
      assert.equal(no.body, '{"message":"Unauthorized"}');
      assert.doesNotMatch(p.output(), new RegExp(IdToken.split('.')[2]), 'tokens never reach the log');
    } finally {
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0);
    }
  });

  test('bad flags: exit code 1 and the reason on stderr', async () => {
    const p = spawnTobira(['gateway', '--endpoint', t.url, '--user-pool-id', user.poolId]);
    const { code } = await p.exited;
    assert.equal(code, 1);
    assert.match(p.output(), /tobira gateway: give --lambda/);
  });

  test('tobira start --gateway-config: the gateway section on its own port beside the server', async () => {
    await t.close(); // the spawned server takes over the same data directory
    const cfg = join(dir, 'gateway.json');
    const gwPort = await freePort();
    writeFileSync(cfg, JSON.stringify({ port: gwPort, userPoolId: user.poolId, stage: 'test', routes: [{ route: 'POST /', lambda: join(FIXTURES, 'hello.mjs') }] }));
    const port = await freePort();
    const p = spawnTobira(['start', '--port', String(port), '--data-dir', dir, '--gateway-config', cfg]);
    try {
      const tobira = `http://127.0.0.1:${port}`;
      await waitForHealth(tobira);
      await waitForGateway(`http://127.0.0.1:${gwPort}`, p);
      const { IdToken } = await signIn(tobira, user);
      const r = await curl(['-X', 'POST', `http://127.0.0.1:${gwPort}/test/`, '-H', `Authorization: Bearer ${IdToken}`]);
      assert.equal(r.status, 200, r.body);
      assert.equal(JSON.parse(r.body), 'Hello from Lambda!');
    } finally {
      p.child.kill('SIGTERM');
      assert.equal((await p.exited).code, 0);
    }
  });
});
