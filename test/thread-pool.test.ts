import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';

/**
 * `tobira start` sizes libuv's thread pool, which runs the argon2id hashes, to the cores
 * (bin/tobira.cjs; each worker of --workers N to its share), unless UV_THREADPOOL_SIZE is set.
 * Node names every thread "node", so the pool is seen as the difference in a process's thread
 * count (/proc/<pid>/task) between a default start and one given a pool of a known size: the
 * other threads (V8's, the inspector's) are the same in both.
 */

const cores = availableParallelism();
const threadsOf = (pid: number) => readdirSync(`/proc/${pid}/task`).length;

/** The Tobira processes whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid && readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('tobira.cjs');
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function started(args: string[], env: Record<string, string>): Promise<{ p: Spawned; url: string }> {
  const port = await freePort();
  const p = spawnTobira(['start', '--port', String(port), ...args], env);
  const url = `http://127.0.0.1:${port}`;
  await waitForHealth(url, 60_000).catch((err) => {
    throw new Error(`${err.message}\n${p.output()}`);
  });
  return { p, url };
}

/** The spawn helper's environment without a UV_THREADPOOL_SIZE this test process may have. */
function withoutPoolSize(): void {
  delete process.env.UV_THREADPOOL_SIZE;
}

test('one process: the pool has one thread a core, and UV_THREADPOOL_SIZE still sets it', async () => {
  withoutPoolSize();
  const extra = 3;
  let a: Spawned | undefined;
  let b: Spawned | undefined;
  try {
    a = (await started(['--in-memory'], {})).p;
    b = (await started(['--in-memory'], { UV_THREADPOOL_SIZE: String(cores + extra) })).p;
    assert.equal(threadsOf(b.child.pid!) - threadsOf(a.child.pid!), extra, 'threads beyond the default pool with UV_THREADPOOL_SIZE = cores + 3');
  } finally {
    await stopSpawned(a, b);
  }
});

test('--workers 2: each worker gets its share of the cores; a UV_THREADPOOL_SIZE given is what each gets', async () => {
  withoutPoolSize();
  const dirs = [await mkdtemp(join(tmpdir(), 'tobira-pool-')), await mkdtemp(join(tmpdir(), 'tobira-pool-'))];
  const given = Math.ceil(cores / 2) + 3;
  let a: Spawned | undefined;
  let b: Spawned | undefined;
  try {
    a = (await started(['--workers', '2', '--data-dir', dirs[0]], { TOBIRA_WORKERS: '' })).p;
    b = (await started(['--workers', '2', '--data-dir', dirs[1]], { TOBIRA_WORKERS: '', UV_THREADPOOL_SIZE: String(given) })).p;
    const workersA = childrenOf(a.child.pid!);
    const workersB = childrenOf(b.child.pid!);
    assert.equal(workersA.length, 2);
    assert.equal(workersB.length, 2);
    const countsA = workersA.map(threadsOf);
    const countsB = workersB.map(threadsOf);
    assert.equal(countsA[0], countsA[1], 'both workers alike');
    assert.equal(countsB[0] - countsA[0], given - Math.ceil(cores / 2), `workers' pools: ${countsA} threads by default, ${countsB} given ${given}`);
  } finally {
    await stopSpawned(a, b);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
});
