// `npm run bench -- workers`: `tobira start --workers N` (src/cli/workers.ts) with one worker and
// with two, on one SQLite data directory seeded once. Per N: AdminGetUser reads per server
// CPU-second (the issue: must not drop as N grows) and USER_PASSWORD_AUTH sign-ins per second
// with the server's CPU % (must use every core). Server CPU is utime+stime from /proc of the
// primary and every process under it, read around each run after a warm-up of the same job.
// Flags: harness/args.ts (--seconds, --concurrency, --users). Figures only.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from '../test/helpers/process.ts';
import { parsePathsArgs } from './harness/args.ts';
import type { Job, JobResult, WireRequest } from './harness/jobs.ts';
import { startLoadGenerator, type LoadGenerator } from './harness/load.ts';
import { makePool, PASSWORD, type BenchPool } from './harness/pool.ts';
import { cpuSeconds, machine, machineLine } from './harness/proc.ts';
import { markdownTable, type Row } from './harness/table.ts';
import { fmt } from './util.ts';

const idp = (op: string, body: unknown): WireRequest => ({
  path: '/',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
  body: JSON.stringify(body),
});

/** `pid` and every process under it (the workers, and the esbuild service tsx starts), from /proc. */
function processTree(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* ended meanwhile */
    }
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) for (const [child, parent] of parents) if (parent === tree[i]) tree.push(child);
  return tree;
}

const treeCpu = (pids: number[]) => pids.reduce((sum, pid) => {
  try {
    return sum + cpuSeconds(pid);
  } catch {
    return sum; // ended: its CPU is lost to the figure, which the kill test never does here
  }
}, 0);

/**
 * `tobira start --workers n` on `dir`, ready: it answers, it has its n workers, and they have
 * finished starting (the tree's CPU has fallen quiet). At warn, as paths.bench.ts runs it: the
 * per-request lines would be the terminal's cost, not the server's.
 */
async function startServer(dir: string, n: number): Promise<{ proc: Spawned; url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // TOBIRA_BENCH_CPU_PROF=<dir>: every process (workers inherit the flags) writes a V8 profile there.
  const profileDir = process.env.TOBIRA_BENCH_CPU_PROF;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const proc = spawnTobira(['start', '--data-dir', dir, '--port', String(port), '--workers', String(n)], { TOBIRA_LOG_LEVEL: 'warn' }, undefined, undefined, nodeArgs);
  try {
    await waitForHealth(url, 120_000);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const tree = processTree(proc.child.pid!);
      const before = treeCpu(tree);
      await new Promise((r) => setTimeout(r, 500));
      const workers = tree.filter((pid) => pid !== proc.child.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('tobira.cjs')).length;
      if ((n === 1 || workers === n) && treeCpu(tree) - before < 0.05) break;
      if (Date.now() > deadline) throw new Error(`the workers did not settle:\n${proc.output()}`);
    }
  } catch (err) {
    await stopSpawned(proc);
    throw err;
  }
  return { proc, url };
}

/** SIGTERM, so that every process ends cleanly (and writes its profile); SIGKILL after 20 s. */
async function stop(p: Spawned): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 20_000);
  await p.exited;
  clearTimeout(timer);
}

/** One job after a warm-up of the same job, with the server tree's CPU read around it. */
async function measure(gen: LoadGenerator, job: Job & { kind: 'http' }, pid: number): Promise<{ r: JobResult; cpuSec: number }> {
  await gen.run({ ...job, seconds: Math.min(2, job.seconds / 5) });
  const tree = processTree(pid);
  const cpu0 = tree.map((p) => treeCpu([p]));
  const r = await gen.run(job);
  const each = tree.map((p, i) => treeCpu([p]) - cpu0[i]);
  const cpuSec = each.reduce((a, b) => a + b, 0);
  if (r.errors) console.log(`  ${r.errors} errors, the first: ${r.firstError}`);
  if (process.env.TOBIRA_BENCH_VERBOSE) console.log(`  CPU-s by process: ${tree.map((p, i) => `${p}: ${each[i].toFixed(2)}`).join(', ')}`);
  return { r, cpuSec };
}

const rowOf = (path: string, m: { r: JobResult; cpuSec: number }): Row => ({
  path,
  opsPerSec: m.r.count / m.r.elapsedSec,
  p50Ms: m.r.p50Ms,
  p99Ms: m.r.p99Ms,
  serverCpuPct: (100 * m.cpuSec) / m.r.elapsedSec,
  opsPerCpuSec: m.cpuSec ? m.r.count / m.cpuSec : undefined,
});

export async function run(argv: string[] = []): Promise<Row[]> {
  const o = parsePathsArgs(argv);
  console.log(`${machineLine(machine())}; ${o.seconds} s a run, ${o.concurrency} in flight (connections), ${fmt(o.users, 0)} users, SQLite`);
  console.log(markdownTable([]));
  const dir = mkdtempSync(join(tmpdir(), 'tobira-bench-workers-'));
  const gen = startLoadGenerator();
  const rows: Row[] = [];
  try {
    // Seeded once, by one process; every run then reads the same store.
    let pool: BenchPool;
    {
      const seeder = await startServer(dir, 1);
      try {
        pool = await makePool(seeder.url, o.users, o.concurrency);
      } finally {
        await stopSpawned(seeder.proc);
      }
    }
    const step = Math.max(1, Math.floor(pool.usernames.length / 1000));
    const reads = pool.usernames.filter((_, i) => i % step === 0).map((Username) => idp('AdminGetUser', { UserPoolId: pool.poolId, Username }));
    const signIns = pool.signers.map((USERNAME) => idp('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: pool.clientId, AuthParameters: { USERNAME, PASSWORD } }));
    for (const n of [1, 2]) {
      const { proc, url } = await startServer(dir, n);
      try {
        for (const [name, requests] of [['AdminGetUser', reads], ['USER_PASSWORD_AUTH', signIns]] as const) {
          const row = rowOf(`${name}, --workers ${n}`, await measure(gen, { kind: 'http', url, requests, concurrency: o.concurrency, seconds: o.seconds }, proc.child.pid!));
          rows.push(row);
          console.log(markdownTable([row]).split('\n')[2]);
        }
      } finally {
        await stop(proc);
      }
    }
  } finally {
    await gen.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
