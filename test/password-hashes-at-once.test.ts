import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ARGON2_AT_ONCE, hashPassword, verifyPassword, withArgon2Slot } from '../src/domain/users/passwords.ts';

/**
 * Each argon2id hash or verify holds 19 MiB while it runs, so no more of them run at once than
 * the machine has cores, plus one (ARGON2_AT_ONCE); the rest wait their turn, in arrival order,
 * and a failing one gives its turn back.
 */
test('the default is one more than the cores', async () => {
  const { availableParallelism } = await import('node:os');
  if (process.env.TOBIRA_PASSWORD_HASHES_AT_ONCE || process.env.TOBIRA_CLUSTER_SIZE) return; // set by whoever runs the tests: checked below only
  assert.equal(ARGON2_AT_ONCE, availableParallelism() + 1);
});
test('no more than ARGON2_AT_ONCE run at once; the others start in arrival order', async () => {
  let running = 0;
  let most = 0;
  const started: number[] = [];
  const releases: (() => void)[] = [];
  const n = ARGON2_AT_ONCE * 3;
  const all = Array.from({ length: n }, (_, i) =>
    withArgon2Slot(async () => {
      started.push(i);
      most = Math.max(most, ++running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      return i;
    }),
  );
  while (started.length < n) {
    await new Promise((r) => setImmediate(r));
    assert.equal(running, Math.min(ARGON2_AT_ONCE, n - (started.length - running)));
    releases.shift()?.();
  }
  releases.forEach((release) => release());
  assert.deepEqual(await Promise.all(all), Array.from({ length: n }, (_, i) => i));
  assert.equal(most, ARGON2_AT_ONCE);
  assert.deepEqual(started, Array.from({ length: n }, (_, i) => i));
});

test('a run that fails gives its turn back', async () => {
  const failures = Array.from({ length: ARGON2_AT_ONCE * 2 }, () => withArgon2Slot(() => Promise.reject(new Error('boom'))));
  for (const f of await Promise.allSettled(failures)) assert.equal(f.status, 'rejected');
  // A stored hash argon2 cannot read is a mismatch, not an error, and holds no turn either.
  assert.deepEqual(await Promise.all(Array.from({ length: ARGON2_AT_ONCE * 2 }, () => verifyPassword('$argon2id$not-a-hash', 'x'))), Array(ARGON2_AT_ONCE * 2).fill(false));
  assert.equal(await withArgon2Slot(async () => 'ran'), 'ran');
});

test('more hashes and verifies at once than cores each check their own password', { timeout: 120_000 }, async () => {
  const passwords = Array.from({ length: ARGON2_AT_ONCE + 2 }, (_, i) => `Correct#Horse${i}`);
  const hashes = await Promise.all(passwords.map((p) => hashPassword(p)));
  const checks = await Promise.all(hashes.flatMap((h, i) => [verifyPassword(h, passwords[i]), verifyPassword(h, `${passwords[i]}x`)]));
  assert.deepEqual(checks, passwords.flatMap(() => [true, false]));
});
