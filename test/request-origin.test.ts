import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { currentOrigin, withOrigin } from '../src/domain/threat/origin.ts';

const run = promisify(execFile);

const tick = () => new Promise((r) => setImmediate(r));

test('each call sees its own origin across awaits, also after the storage was switched off between calls', async () => {
  for (let round = 0; round < 2; round++) {
    const seen = await Promise.all(
      ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((ip, i) =>
        withOrigin({ sourceIp: ip }, async () => {
          const before = currentOrigin()?.sourceIp;
          for (let n = 0; n <= i; n++) await tick();
          // A nested call restores the outer origin when it ends.
          const inner = await withOrigin({ sourceIp: '198.51.100.9' }, async () => (await tick(), currentOrigin()?.sourceIp));
          return [before, inner, currentOrigin()?.sourceIp];
        }),
      ),
    );
    assert.deepEqual(seen, [
      ['192.0.2.1', '198.51.100.9', '192.0.2.1'],
      ['192.0.2.2', '198.51.100.9', '192.0.2.2'],
      ['192.0.2.3', '198.51.100.9', '192.0.2.3'],
    ]);
    // Outside every call there is no origin.
    assert.equal(currentOrigin(), undefined);
  }
  // A call that fails still ends its scope.
  await assert.rejects(withOrigin({ sourceIp: '192.0.2.4' }, async () => { throw new Error('refused'); }), /refused/);
  assert.equal(currentOrigin(), undefined);
});

test('after a threat-protected sign-in and a challenge answer, no async-local storage stays on', async () => {
  // In a process of its own: the test runner keeps Node's promise hooks on in this one.
  const { stdout } = await run(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/promise-hooks-after-sign-in.ts', import.meta.url))]);
  assert.deepEqual(JSON.parse(stdout), { hooksAtStart: false, signedIn: true, eventsRecorded: true, hooksAfter: false });
});
