import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTobira, waitForHealth } from './helpers/process.ts';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { handlers } from '../src/api/index.ts';

test('tobira start --port --data-dir: says where it listens, serves /health, stops cleanly on SIGTERM', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-'));
  try {
    const port = await freePort();
    const p = spawnTobira(['start', '--port', String(port), '--data-dir', dir]);
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
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TOBIRA_PORT, TOBIRA_HOST and TOBIRA_DATA_DIR configure the server; --in-memory writes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-'));
  try {
    const port = await freePort();
    const p = spawnTobira(['start'], { TOBIRA_PORT: String(port), TOBIRA_HOST: '127.0.0.1', TOBIRA_DATA_DIR: dir });
    await waitForHealth(`http://127.0.0.1:${port}`);
    assert.ok(existsSync(join(dir, 'tobira.sqlite')));
    p.child.kill('SIGINT');
    assert.equal((await p.exited).code, 0);

    const port2 = await freePort();
    const dir2 = join(dir, 'unused');
    const m = spawnTobira(['start', '--in-memory', '--port', String(port2), '--data-dir', dir2]);
    await waitForHealth(`http://127.0.0.1:${port2}`);
    assert.match(m.output(), /in memory/);
    assert.ok(!existsSync(dir2));
    m.child.kill('SIGTERM');
    assert.equal((await m.exited).code, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unexpected exception is answered as InternalErrorException with a request id, and the server lives on', async () => {
  const t = await startTestServer();
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
  await t.close();
});
