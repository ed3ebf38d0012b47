// Write contention on PostgreSQL (issue 9): 64 concurrent writers for BENCH_SECONDS (default 60)
// per run, on the same few users and on a user each, against one Tobira process and against
// three on one database. Each writer loops AdminUpdateUserAttributes (an indexed attribute every
// time, the email alias every other time) with an AdminAddUserToGroup / AdminRemoveUserFromGroup
// every fourth call. Prints requests/s, latency, the count of 5xx (which must be 0) and how many
// transaction attempts PostgreSQL rolled back (conflicts the store retried).
//
// BENCH_POSTGRES=<admin URL> runs on that server; otherwise on a throwaway durable server
// started from Debian's PostgreSQL binaries (test/helpers/postgres.ts), or skipped without one.
// BENCH_SECONDS shortens each run; BENCH_WRITERS changes the number of writers.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabase, postgresBinDir, startPostgres, type RunningPostgres } from '../test/helpers/postgres.ts';
import { freePort, waitForHealth } from '../test/helpers/process.ts';
import { fmt, idpCall, percentile } from './util.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);
const WRITERS = Number(process.env.BENCH_WRITERS ?? 64);
/** In the same-users runs, the writers share this many users. */
const SHARED_USERS = 8;
const GROUPS = 4;
const BIN = join(import.meta.dirname, '..', 'bin', 'tobira.cjs');

interface Node {
  url: string;
  child: ChildProcess;
  exited: Promise<void>;
}

async function startNodes(count: number, databaseUrl: string): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const child = spawn(process.execPath, [BIN, 'start', '--workers', '1', '--port', String(port), '--database-url', databaseUrl, '--public-url', 'http://bench.test'], {
      env: { ...process.env, TOBIRA_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    nodes.push({ url: `http://127.0.0.1:${port}`, child, exited });
  }
  try {
    await Promise.all(nodes.map((n) => waitForHealth(n.url, 60_000)));
  } catch (err) {
    await stopNodes(nodes);
    throw err;
  }
  return nodes;
}

async function stopNodes(nodes: Node[]): Promise<void> {
  for (const n of nodes) n.child.kill('SIGTERM');
  await Promise.all(nodes.map((n) => n.exited));
}

/** Commits and rollbacks of the database so far (as flushed by its ended connections). */
async function transactions(databaseUrl: string): Promise<{ commits: number; rollbacks: number }> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query('SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()');
    return { commits: Number(r.rows[0].xact_commit), rollbacks: Number(r.rows[0].xact_rollback) };
  } finally {
    await c.end();
  }
}

interface Result {
  calls: number;
  fiveXx: number;
  otherErrors: number;
  firstError?: string;
  latencies: number[];
  seconds: number;
}

async function storm(nodes: Node[], poolId: string, users: string[], sameUsers: boolean): Promise<Result> {
  const result: Result = { calls: 0, fiveXx: 0, otherErrors: 0, latencies: [], seconds: 0 };
  const started = performance.now();
  const stopAt = started + SECONDS * 1000;
  const worker = async (w: number) => {
    const username = users[sameUsers ? w % users.length : w];
    for (let n = 0; performance.now() < stopAt; n++) {
      const node = nodes[(w + n) % nodes.length];
      let op: string;
      let body: unknown;
      if (n % 4 === 3) {
        op = (n >> 2) % 2 ? 'AdminRemoveUserFromGroup' : 'AdminAddUserToGroup';
        body = { UserPoolId: poolId, Username: username, GroupName: `g${w % GROUPS}` };
      } else {
        op = 'AdminUpdateUserAttributes';
        body = {
          UserPoolId: poolId,
          Username: username,
          UserAttributes: [
            { Name: 'given_name', Value: `G${w}-${n}` },
            ...(n % 2 ? [{ Name: 'email', Value: `${username}.${w}.${n}@example.com` }, { Name: 'email_verified', Value: 'true' }] : [{ Name: 'nickname', Value: `n${n}` }]),
          ],
        };
      }
      const t0 = performance.now();
      let status = 0;
      let text = '';
      try {
        const res = await fetch(node.url, {
          method: 'POST',
          headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
          body: JSON.stringify(body),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        text = String(err);
      }
      result.latencies.push(performance.now() - t0);
      result.calls++;
      if (status >= 500) result.fiveXx++;
      else if (status !== 200) result.otherErrors++;
      if (status !== 200) result.firstError ??= `${op} -> ${status} ${text}`;
    }
  };
  await Promise.all(Array.from({ length: WRITERS }, (_, w) => worker(w)));
  result.seconds = (performance.now() - started) / 1000;
  result.latencies.sort((a, b) => a - b);
  return result;
}

async function scenario(newDatabase: () => Promise<string>, nodeCount: number, sameUsers: boolean): Promise<void> {
  const databaseUrl = await newDatabase();
  const nodes = await startNodes(nodeCount, databaseUrl);
  let r: Result;
  try {
    const url = nodes[0].url;
    const poolId = (await idpCall(url, 'CreateUserPool', { PoolName: 'contention', AliasAttributes: ['email'] })).UserPool.Id;
    const users = Array.from({ length: sameUsers ? SHARED_USERS : WRITERS }, (_, i) => `user${i}`);
    for (const username of users) {
      await idpCall(url, 'AdminCreateUser', {
        UserPoolId: poolId, Username: username, MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'email', Value: `${username}@example.com` }, { Name: 'email_verified', Value: 'true' }],
      });
    }
    for (let g = 0; g < GROUPS; g++) await idpCall(url, 'CreateGroup', { UserPoolId: poolId, GroupName: `g${g}` });
    r = await storm(nodes, poolId, users, sameUsers);
  } finally {
    await stopNodes(nodes);
  }
  const tx = await transactions(databaseUrl);
  const who = sameUsers ? `${WRITERS} writers on ${SHARED_USERS} users` : `${WRITERS} writers on a user each`;
  console.log(
    `${nodeCount} node${nodeCount > 1 ? 's' : ''}, ${who}: ${fmt(r.calls / r.seconds, 0)} requests/s (${fmt(r.calls, 0)} in ${fmt(r.seconds)} s), ` +
      `p50 ${fmt(percentile(r.latencies, 50), 1)} ms, p99 ${fmt(percentile(r.latencies, 99), 1)} ms, max ${fmt(r.latencies[r.latencies.length - 1] ?? 0, 0)} ms; ` +
      `5xx: ${r.fiveXx}, other errors: ${r.otherErrors}; ${fmt(tx.rollbacks, 0)} attempts rolled back and retried, ${fmt(tx.commits, 0)} commits`,
  );
  if (r.firstError) console.log(`  first error: ${r.firstError.slice(0, 500)}`);
}

export async function run(): Promise<void> {
  const admin = process.env.BENCH_POSTGRES;
  let local: RunningPostgres | undefined;
  if (!admin) {
    const bin = postgresBinDir();
    if (!bin) {
      console.log('skipped: no PostgreSQL (set BENCH_POSTGRES=<admin URL>, or apt-get install postgresql)');
      return;
    }
    local = await startPostgres(bin, { durable: true });
  }
  const newDatabase = admin ? () => createDatabase(admin) : () => local!.newDatabase();
  console.log(`PostgreSQL write contention: ${WRITERS} writers, ${SECONDS} s per run`);
  try {
    for (const nodeCount of [1, 3]) {
      for (const sameUsers of [true, false]) await scenario(newDatabase, nodeCount, sameUsers);
    }
  } finally {
    await local?.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
