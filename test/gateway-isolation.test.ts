import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer } from './helpers/tobira.ts';
import { gatewayFor } from './helpers/gateway.ts';
import type { Running } from '../src/tobira.ts';
import type { RunningGateway } from '../src/gateway/server.ts';

const BAD_GATEWAY = '{"message": "Internal server error"}';
const TIMED_OUT = '{"message": "Endpoint request timed out"}';

/**
 * Each handler module runs in its own execution environment (a worker thread): what a handler does
 * to its runtime ends that environment, answered 502 (504 for a timeout), and the next request
 * gets a fresh one. The gateway and the Tobira in this process live on.
 */
describe('local Lambda handlers run in environments of their own', () => {
  let t: Running;
  let gw: RunningGateway;
  before(async () => {
    t = await startTestServer();
    const route = (name: string, timeoutSeconds = 2) => ({ route: `GET /${name}`, lambda: `fixtures/environment.mjs#${name}`, authorizer: 'none', timeoutSeconds });
    gw = await gatewayFor({
      endpoint: t.url,
      stage: 'test',
      routes: [route('counter'), route('exits'), route('throwsLater'), route('rejectsUnhandled'), route('spins', 0.5), route('returnsFunction'), route('slow'), route('hangs', 0.3)],
    });
  });
  after(async () => {
    await gw.close();
    await t.close();
  });

  const get = async (name: string) => {
    const r = await fetch(`${gw.url}/test/${name}`);
    return { status: r.status, body: await r.text() };
  };

  test('a warm environment keeps module state between invocations', async () => {
    const first = await get('counter');
    assert.equal(first.status, 200, first.body);
    assert.match(first.body, /^\d+$/);
    assert.deepEqual(await get('counter'), { status: 200, body: String(Number(first.body) + 1) });
    assert.deepEqual(await get('counter'), { status: 200, body: String(Number(first.body) + 2) });
  });

  for (const [name, status, body] of [
    ['exits', 502, BAD_GATEWAY],
    ['throwsLater', 502, BAD_GATEWAY],
    ['rejectsUnhandled', 502, BAD_GATEWAY],
    ['spins', 504, TIMED_OUT],
  ] as const) {
    test(`${name}: ${status}, then a fresh environment; the gateway and Tobira live on`, async () => {
      await get('counter'); // the environment is warm
      assert.deepEqual(await get(name), { status, body });
      // The module's environment was replaced: its state starts again.
      assert.deepEqual(await get('counter'), { status: 200, body: '1' });
      assert.equal((await fetch(`${t.url}/health`)).status, 200);
    });
  }

  test('an answer that cannot leave the handler (a function in it) is a malformed answer: 502', async () => {
    assert.deepEqual(await get('returnsFunction'), { status: 502, body: BAD_GATEWAY });
  });

  test('concurrent invocations get environments of their own: a timeout in one leaves the others running', async () => {
    // A slow invocation (0.8 s, within its 2 s) runs while another in the same module hangs past
    // its 0.3 s timeout; resetting the hung one's environment must not touch the slow one's.
    const [slow, hung] = await Promise.all([get('slow'), get('hangs')]);
    assert.deepEqual(hung, { status: 504, body: TIMED_OUT });
    assert.equal(slow.status, 200, slow.body);
  });
});
