import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { handlers } from '../src/api/index.ts';
import { configFromArgs } from '../src/cli/main.ts';
import { parseArgs } from '../src/cli/args.ts';

test('tobira start --port --data-dir: says where it listens, serves /health, stops cleanly on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-'));
  let p: Spawned | undefined;
  try {
    const port = await freePort();
    p = spawnTobira(['start', '--port', String(port), '--data-dir', dir]);
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url);
    const health = await (await fetch(`${url}/health`)).json();
    assert.equal(health.status, 'ok');
    assert.match(p.output(), new RegExp(`listening on ${url}`));
    assert.ok(p.output().includes(dir), 'the start-up line names the data directory');
    assert.ok(existsSync(join(dir, 'tobira.sqlite')));
    p.child.kill('SIGTERM');
    const { code } = await p.exited;
    assert.equal(code, 0);
    assert.match(p.output(), /shutting down/);
  } finally {
    await stopSpawned(p);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TOBIRA_PORT, TOBIRA_HOST and TOBIRA_DATA_DIR configure the server; --in-memory writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-'));
  let p: Spawned | undefined;
  let m: Spawned | undefined;
  try {
    const port = await freePort();
    p = spawnTobira(['start'], { TOBIRA_PORT: String(port), TOBIRA_HOST: '127.0.0.1', TOBIRA_DATA_DIR: dir });
    await waitForHealth(`http://127.0.0.1:${port}`);
    assert.ok(existsSync(join(dir, 'tobira.sqlite')));
    p.child.kill('SIGINT');
    assert.equal((await p.exited).code, 0);

    const port2 = await freePort();
    const dir2 = join(dir, 'unused');
    m = spawnTobira(['start', '--in-memory', '--port', String(port2), '--data-dir', dir2]);
    await waitForHealth(`http://127.0.0.1:${port2}`);
    assert.match(m.output(), /in memory/);
    assert.ok(!existsSync(dir2));
    m.child.kill('SIGTERM');
    assert.equal((await m.exited).code, 0);
  } finally {
    await stopSpawned(p, m);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unexpected exception is answered as InternalErrorException with a request id, and the server lives on', async (c) => {
  const t = await startTestServer();
  c.after(() => t.close());
  const original = handlers.ListUserPools;
  try {
    handlers.ListUserPools = async () => {
      throw new TypeError('boom: a bug');
    };
    const r = await rawCall(t.url, 'ListUserPools', { MaxResults: 1 });
    assert.equal(r.status, 500);
    assert.equal(r.json.__type, 'InternalErrorException');
    assert.ok(!r.text.includes('boom'), 'the internal cause is not sent to the client');
    assert.match(r.json.message, /Request id: [0-9a-f-]{36}/);
  } finally {
    handlers.ListUserPools = original;
  }
  const again = await rawCall(t.url, 'ListUserPools', { MaxResults: 1 });
  assert.equal(again.status, 200);
});

test("with no flags and no environment: 127.0.0.1:9329, data in ./.tobira, region us-east-1; the package's start script and bin are `tobira start`", async () => {
  const config = configFromArgs(parseArgs([]), {});
  assert.deepEqual(
    { host: config.host, port: config.port, dataDir: config.dataDir, region: config.region },
    { host: '127.0.0.1', port: 9329, dataDir: './.tobira', region: 'us-east-1' },
  );
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'));
  assert.equal(pkg.bin.tobira, 'bin/tobira.cjs');
  assert.equal(pkg.scripts.start, 'node bin/tobira.cjs start');

  // The default data directory is relative to where the server starts (port 9329 itself may be
  // taken on a shared machine, so only the port comes from the environment here).
  const cwd = mkdtempSync(join(tmpdir(), 'tobira-cwd-'));
  let p: Spawned | undefined;
  try {
    const port = await freePort();
    p = spawnTobira(['start'], { TOBIRA_PORT: String(port) }, cwd);
    await waitForHealth(`http://127.0.0.1:${port}`);
    assert.ok(existsSync(join(cwd, '.tobira', 'tobira.sqlite')));
    assert.match(p.output(), /data in \.\/\.tobira/);
    const pool = await rawCall(`http://127.0.0.1:${port}`, 'CreateUserPool', { PoolName: 'unsigned' });
    assert.match(pool.json.UserPool.Id, /^us-east-1_[0-9A-Za-z]{9}$/);
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
  } finally {
    await stopSpawned(p);
    rmSync(cwd, { recursive: true, force: true });
  }
});

test('--region sets the region of unsigned requests: pool ids and ARNs', async () => {
  const port = await freePort();
  const p = spawnTobira(['start', '--in-memory', '--port', String(port), '--region', 'eu-west-1']);
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url);
    const r = await rawCall(url, 'CreateUserPool', { PoolName: 'regional' });
    assert.match(r.json.UserPool.Id, /^eu-west-1_[0-9A-Za-z]{9}$/);
    assert.match(r.json.UserPool.Arn, /^arn:aws:cognito-idp:eu-west-1:\d{12}:userpool\/eu-west-1_/);
  } finally {
    p.child.kill('SIGTERM');
    assert.equal((await p.exited).code, 0);
  }
});

test('SIGTERM lets a request in flight finish, then closes the database (its WAL is checkpointed away)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-'));
  let p: Spawned | undefined;
  let again: Spawned | undefined;
  try {
    const port = await freePort();
    p = spawnTobira(['start', '--port', String(port), '--data-dir', dir]);
    await waitForHealth(`http://127.0.0.1:${port}`);
    assert.ok(existsSync(join(dir, 'tobira.sqlite-wal')), 'WAL mode while running');

    // Half a request goes out before the signal, the rest after it.
    const body = JSON.stringify({ PoolName: 'in-flight' });
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    let response = '';
    socket.on('data', (d) => (response += d));
    const ended = once(socket, 'close');
    socket.write(
      `POST / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/x-amz-json-1.1\r\n` +
        `X-Amz-Target: AWSCognitoIdentityProviderService.CreateUserPool\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n` +
        body.slice(0, 5),
    );
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    socket.write(body.slice(5));
    await ended;
    assert.match(response, /^HTTP\/1\.1 200 /);
    assert.match(response, /"Name":"in-flight"/);
    assert.equal((await p.exited).code, 0);
    assert.ok(!existsSync(join(dir, 'tobira.sqlite-wal')), 'the database was closed');

    // And the pool created during shutdown was committed.
    const port2 = await freePort();
    again = spawnTobira(['start', '--port', String(port2), '--data-dir', dir]);
    await waitForHealth(`http://127.0.0.1:${port2}`);
    const pools = await rawCall(`http://127.0.0.1:${port2}`, 'ListUserPools', { MaxResults: 10 });
    assert.deepEqual(pools.json.UserPools.map((x: { Name: string }) => x.Name), ['in-flight']);
    again.child.kill('SIGINT');
    assert.equal((await again.exited).code, 0);
  } finally {
    await stopSpawned(p, again);
    rmSync(dir, { recursive: true, force: true });
  }
});
