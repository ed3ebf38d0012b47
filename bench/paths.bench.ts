// `npm run bench -- paths` (plain `npm run bench` too): the hot paths of issue 17 measured against
// a Tobira in its own process (`tobira start --in-memory`), loaded from another (harness/
// load-worker.ts), each figure beside its ceiling measured in the same run: argon2id hashes with
// the server's thread count, RS256 signatures and verifications in one thread, a bare Fastify
// route under the same load. Server CPU is utime+stime from /proc/<pid>/stat around each case.
// Flags: harness/args.ts. Figures only: nothing here fails on a number.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parsePathsArgs, type PathsOptions } from './harness/args.ts';
import { ARGON2_LABEL } from './harness/argon2-params.ts';
import type { Job, JobResult, WireRequest } from './harness/jobs.ts';
import { startLoadGenerator, type LoadGenerator } from './harness/load.ts';
import { makePool, PASSWORD, type BenchPool } from './harness/pool.ts';
import { cpuSeconds, machine, machineLine, peakRssBytes } from './harness/proc.ts';
import { bundledCopy, cloneCopy, coldStarts, startBareFastify, startTobiraProcess, type Served } from './harness/server.ts';
import { markdownTable, writeTable, type Row } from './harness/table.ts';
import { fmt, percentile } from './util.ts';

type CeilingName = 'argon2' | 'sign' | 'verify' | 'modpow' | 'fastify';
/** Each ceiling's ops/s, and per CPU-second of the process that did them. */
type Ceilings = Partial<Record<CeilingName, { opsPerSec: number; opsPerCpuSec: number }>>;

const idp = (op: string, body: unknown): WireRequest => ({
  path: '/',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${op}` },
  body: JSON.stringify(body),
});

interface Case {
  name: string;
  path: string;
  /** What one operation costs of each limit: argon2id hashes, RS256 signatures/verifications, requests. */
  uses: Partial<Record<CeilingName, number>>;
  job(p: BenchPool, url: string, o: PathsOptions): Job;
}

const http = (requests: WireRequest[], url: string, o: PathsOptions): Job => ({ kind: 'http', url, requests, concurrency: o.concurrency, seconds: o.seconds });

// Sign-ins issue an ID and an access token (two RS256 signatures); the refresh token is a JWE.
// USER_SRP_AUTH's server side raises to b twice (B = kv + g^b, S = (A·v^u)^b, 280-bit b) and to
// u once (256 bits, 256/280 of the work): 2.9 modPowN of the ceiling.
const CASES: Case[] = [
  {
    name: 'USER_PASSWORD_AUTH',
    path: 'InitiateAuth USER_PASSWORD_AUTH',
    uses: { argon2: 1, sign: 2, fastify: 1 },
    job: (p, url, o) => http(p.signers.map((USERNAME) => idp('InitiateAuth', { AuthFlow: 'USER_PASSWORD_AUTH', ClientId: p.clientId, AuthParameters: { USERNAME, PASSWORD } })), url, o),
  },
  {
    name: 'USER_SRP_AUTH',
    path: 'USER_SRP_AUTH, both round trips (client: test/helpers/srp-client.ts)',
    uses: { modpow: 2.9, sign: 2, fastify: 2 },
    job: (p, url, o) => ({ kind: 'srp', client: 'library', url, poolId: p.poolId, clientId: p.clientId, usernames: p.signers, password: PASSWORD, concurrency: o.concurrency, seconds: o.seconds }),
  },
  {
    name: 'USER_SRP_AUTH-fast',
    path: 'USER_SRP_AUTH, both round trips (client: OpenSSL arithmetic)',
    uses: { modpow: 2.9, sign: 2, fastify: 2 },
    job: (p, url, o) => ({ kind: 'srp', client: 'fast', url, poolId: p.poolId, clientId: p.clientId, usernames: p.signers, password: PASSWORD, concurrency: o.concurrency, seconds: o.seconds }),
  },
  {
    name: 'REFRESH_TOKEN_AUTH',
    path: 'InitiateAuth REFRESH_TOKEN_AUTH',
    uses: { sign: 2, fastify: 1 },
    job: (p, url, o) => http(p.tokens.map((t) => idp('InitiateAuth', { AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: p.clientId, AuthParameters: { REFRESH_TOKEN: t.refresh } })), url, o),
  },
  {
    name: 'GetUser',
    path: 'GetUser (access token)',
    uses: { verify: 1, fastify: 1 },
    job: (p, url, o) => http(p.tokens.map((t) => idp('GetUser', { AccessToken: t.access })), url, o),
  },
  {
    name: 'AdminGetUser',
    path: 'AdminGetUser',
    uses: { fastify: 1 },
    job: (p, url, o) => http(adminGetUsers(p), url, o),
  },
  {
    name: 'ListUsers',
    path: 'ListUsers username ^= prefix, Limit 60',
    uses: { fastify: 1 },
    // Prefixes from broad (a fifth of the pool, or all of it) to narrow (ten users).
    job: (p, url, o) =>
      http(['user', 'user0', 'user01', 'user02', 'user001', 'user012', 'user0003', 'user0042'].map((prefix) =>
        idp('ListUsers', { UserPoolId: p.poolId, Filter: `username ^= "${prefix}"`, Limit: 60 })), url, o),
  },
  {
    name: 'AdminSetUserPassword',
    path: 'AdminSetUserPassword (permanent)',
    uses: { argon2: 1, fastify: 1 },
    job: (p, url, o) => http(p.resetters.map((Username) => idp('AdminSetUserPassword', { UserPoolId: p.poolId, Username, Password: 'Bench#Password2', Permanent: true })), url, o),
  },
  {
    name: 'AdminCreateUser',
    path: 'AdminCreateUser (temporary password)',
    uses: { argon2: 1, fastify: 1 },
    // {{n}}: a new username each request (load-worker.ts).
    job: (p, url, o) => http([idp('AdminCreateUser', { UserPoolId: p.poolId, Username: 'created{{n}}', TemporaryPassword: 'Temp#Password1', MessageAction: 'SUPPRESS' })], url, o),
  },
];

const adminGetUsers = (p: BenchPool) => spread(p.usernames, 1000).map((Username) => idp('AdminGetUser', { UserPoolId: p.poolId, Username }));

/** Up to n items spread evenly over the list (AdminGetUser looks up users all over the pool). */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]);
}

const CEILING_LABEL: Record<CeilingName, string> = { argon2: 'argon2id', sign: 'RS256 sign', verify: 'RS256 verify', modpow: 'SRP modPow', fastify: 'Fastify {}' };

/**
 * The tightest limit for a case: each ceiling's rate over what one operation uses of it. The label
 * also gives that limit per CPU-second of the process that reached it: on a shared machine the
 * CPU each process gets varies from minute to minute, and per CPU-s the figures compare anyway.
 */
function ceilingOf(c: Case, ceilings: Ceilings): { label: string; opsPerSec: number } | undefined {
  let best: { name: CeilingName; uses: number; opsPerSec: number } | undefined;
  for (const [name, uses] of Object.entries(c.uses) as [CeilingName, number][]) {
    const rate = ceilings[name];
    if (rate === undefined) continue;
    if (!best || rate.opsPerSec / uses < best.opsPerSec) best = { name, uses, opsPerSec: rate.opsPerSec / uses };
  }
  if (!best) return undefined;
  const perCpu = ceilings[best.name]!.opsPerCpuSec / best.uses;
  const label = `${CEILING_LABEL[best.name]}${best.uses > 1 ? ` ÷ ${best.uses}` : ''}: ${fmt(best.opsPerSec)}/s, ${fmt(perCpu, 0)}/CPU-s`;
  return { label, opsPerSec: best.opsPerSec };
}

/**
 * One job against a served process, with that process's CPU read around it; after a warm-up of
 * the same job (a fifth of its time, at most 2 s), so that JIT compilation, the first connections
 * and the first hashes' memory are not in the figures.
 */
async function measure(gen: LoadGenerator, job: Job, pid?: number): Promise<{ r: JobResult; cpuSec?: number }> {
  await gen.run({ ...job, seconds: Math.min(2, job.seconds / 5) });
  const cpu0 = pid === undefined ? 0 : cpuSeconds(pid);
  const r = await gen.run(job);
  // A ceiling computed in the generator (argon2id, RS256): its CPU is the generator's own.
  const cpuSec = pid === undefined ? r.generatorCpuSec : cpuSeconds(pid) - cpu0;
  if (r.errors) console.log(`  ${r.errors} errors, the first: ${r.firstError}`);
  return { r, cpuSec };
}

function rowOf(path: string, m: { r: JobResult; cpuSec?: number }, ceiling?: { label: string; opsPerSec: number }): Row {
  const opsPerSec = m.r.count / m.r.elapsedSec;
  return {
    path,
    opsPerSec,
    p50Ms: m.r.p50Ms,
    p99Ms: m.r.p99Ms,
    serverCpuPct: m.cpuSec === undefined ? undefined : (100 * m.cpuSec) / m.r.elapsedSec,
    opsPerCpuSec: m.cpuSec ? m.r.count / m.cpuSec : undefined,
    ceiling: ceiling?.label,
    ratio: ceiling ? opsPerSec / ceiling.opsPerSec : undefined,
  };
}

const rates = (m: { r: JobResult; cpuSec?: number }) => ({ opsPerSec: m.r.count / m.r.elapsedSec, opsPerCpuSec: m.cpuSec ? m.r.count / m.cpuSec : NaN });

const printRow = (r: Row) => console.log(markdownTable([r]).split('\n')[2]);

/** What `npm start` in this checkout runs (bin/tobira.cjs): its cached bundle, or tsx when asked. */
const fromSources = process.env.TOBIRA_FROM_SOURCES;
const CLONE_RUNS = fromSources === 'tsx' ? 'sources through tsx (TOBIRA_FROM_SOURCES=tsx)' : "a clone's cached bundle of src/";

export async function run(argv: string[] = []): Promise<Row[]> {
  const o = parsePathsArgs(argv);
  const wanted = (name: string) => !o.only || o.only.has(name);
  const cases = CASES.filter((c) => wanted(c.name));
  const m = machine();
  console.log(`${machineLine(m)}; ${o.seconds} s a case, ${o.concurrency} in flight, ${fmt(o.users, 0)} users`);
  console.log(markdownTable([]));

  const rows: Row[] = [];
  const notes: string[] = [];
  const add = (r: Row) => (rows.push(r), printRow(r));
  const gen = startLoadGenerator();
  let server: Served | undefined;
  let bare: Served | undefined;
  let bundle: Awaited<ReturnType<typeof bundledCopy>> | undefined;
  let pool: BenchPool | undefined;
  try {
    // The ceilings first, while nothing else of ours runs. The argon2id pool is the size of the
    // server's libuv thread pool, which its hashes run on: UV_THREADPOOL_SIZE if set, else one
    // thread a core (bin/tobira.cjs).
    const needed = new Set(cases.flatMap((c) => Object.keys(c.uses) as CeilingName[]));
    const ceilings: Ceilings = {};
    const threads = Number(process.env.UV_THREADPOOL_SIZE) || availableParallelism();
    if (needed.has('argon2')) {
      const r = await measure(gen, { kind: 'argon2', concurrency: threads, seconds: o.seconds });
      ceilings.argon2 = rates(r);
      add(rowOf(`ceiling: ${ARGON2_LABEL} hash, ${threads} threads`, r));
    }
    for (const kind of ['sign', 'verify'] as const) {
      if (!needed.has(kind)) continue;
      const r = await measure(gen, { kind: `rs256-${kind}`, seconds: o.seconds });
      ceilings[kind] = rates(r);
      add(rowOf(`ceiling: RS256 ${kind} (2048-bit, node:crypto, 1 thread)`, r));
    }
    if (needed.has('modpow')) {
      const r = await measure(gen, { kind: 'srp-modpow', seconds: o.seconds });
      ceilings.modpow = rates(r);
      add(rowOf('ceiling: SRP modPowN (3072-bit N, 280-bit exponent, OpenSSL, 1 thread)', r));
    }

    server = await startTobiraProcess();
    const t0 = performance.now();
    pool = await makePool(server.url, o.users, o.concurrency);
    console.log(`(pool of ${fmt(o.users, 0)} users made through the API in ${fmt(pool.seedSec)} s; setup ${fmt((performance.now() - t0) / 1000)} s)`);
    const ready = pool;
    if (wanted('rss')) {
      add({ path: `server peak RSS (VmHWM) at ${fmt(o.users, 0)} users, ${CLONE_RUNS}: ${fmt(peakRssBytes(server.pid) / 2 ** 20, 0)} MiB` });
    }

    if (needed.has('fastify')) {
      // The same requests as AdminGetUser, to a route that answers {} without reading them.
      bare = await startBareFastify();
      const r = await measure(gen, http(adminGetUsers(ready), bare.url, o), bare.pid);
      ceilings.fastify = rates(r);
      add(rowOf(`ceiling: bare Fastify route answering {}`, r));
      // Past one CPU the generator, not Fastify, is the limit: what "the same load generator" gives.
      notes.push(`bare Fastify ceiling: the load generator used ${fmt((100 * r.r.generatorCpuSec) / r.r.elapsedSec, 0)}% of a CPU, Fastify ${fmt((100 * r.cpuSec!) / r.r.elapsedSec, 0)}%`);
      await bare.close();
      bare = undefined;
    }

    // How fast the machine runs just before each case: RS256 signatures per CPU-s of the load
    // generator over half a second, against the ceiling's (or the first case's). A shared VM's speed
    // changes within a run (the same tree's figures moved by a quarter between runs minutes apart):
    // this tells a slow spell from a slow path.
    const speeds: string[] = [];
    let speedBase = ceilings.sign?.opsPerCpuSec;
    const runs = new Map<Case, { m: Awaited<ReturnType<typeof measure>>; speed: number }[]>();
    for (let round = 1; round <= o.rounds; round++) {
      for (const c of cases) {
        const probe = await gen.run({ kind: 'rs256-sign', seconds: 0.5 });
        const signsPerCpuSec = probe.count / probe.generatorCpuSec;
        speedBase ??= signsPerCpuSec;
        const r = await measure(gen, c.job(ready, server.url, o), server.pid);
        runs.set(c, [...(runs.get(c) ?? []), { m: r, speed: signsPerCpuSec }]);
        // One round: the row as soon as the case ends; several: each case's median row at the end.
        if (o.rounds === 1) add(rowOf(c.path, r, ceilingOf(c, ceilings)));
        else console.log(`(round ${round}: ${c.name} ${fmt(rates(r).opsPerCpuSec, 1)} per server CPU-s, machine speed ${fmt(signsPerCpuSec, 0)})`);
        if (r.r.errors) notes.push(`${c.name}${o.rounds > 1 ? ` (round ${round})` : ''}: ${r.r.errors} requests failed (not counted), the first: ${r.r.firstError}`);
        const genPct = (100 * r.r.generatorCpuSec) / r.r.elapsedSec;
        if (genPct > 50) notes.push(`${c.name}${o.rounds > 1 ? ` (round ${round})` : ''}: the load generator itself used ${fmt(genPct, 0)}% of a CPU`);
      }
    }
    const pct = (speed: number) => `${fmt(speed, 0)} (${fmt((100 * speed) / speedBase!, 0)}%)`;
    const spreads: string[] = [];
    for (const c of cases) {
      const all = runs.get(c)!;
      // The median round by ops per server CPU-s (the lower middle of an even count).
      const sorted = [...all].sort((a, b) => rates(a.m).opsPerCpuSec - rates(b.m).opsPerCpuSec);
      const median = sorted[Math.floor((sorted.length - 1) / 2)];
      if (o.rounds > 1) add(rowOf(c.path, median.m, ceilingOf(c, ceilings)));
      speeds.push(`${c.name} ${all.map((x) => pct(x.speed)).join(' / ')}`);
      if (all.length > 1) spreads.push(`${c.name} ${all.map((x) => fmt(rates(x.m).opsPerCpuSec, 1)).join(' / ')}`);
    }
    if (spreads.length) notes.push(`${o.rounds} rounds, each case's row its median round; ops per server CPU-s round by round: ${spreads.join('; ')}`);
    if (speeds.length) notes.push(`machine speed just before each case${o.rounds > 1 ? ', round by round' : ''} (RS256 signatures per CPU-s over 0.5 s, against ${ceilings.sign ? "the ceiling's" : "the first case's"}): ${speeds.join(', ')}`);
    if (wanted('rss')) add({ path: `server peak RSS (VmHWM) after the cases: ${fmt(peakRssBytes(server.pid) / 2 ** 20, 0)} MiB` });
    await server.close();
    server = undefined;

    // The figures above are of `npm start` in a clone, which runs its cached bundle of src/ (or
    // the sources through tsx with TOBIRA_FROM_SOURCES=tsx); an installed package runs dist/,
    // which gets the same pool.
    if (wanted('rss')) {
      bundle ??= await bundledCopy();
      server = await startTobiraProcess(bundle.bin, bundle.dir);
      await makePool(server.url, o.users, o.concurrency);
      add({ path: `server peak RSS (VmHWM) at ${fmt(o.users, 0)} users, packed bundle (dist/): ${fmt(peakRssBytes(server.pid) / 2 ** 20, 0)} MiB` });
      await server.close();
      server = undefined;
    }

    if (wanted('cold-start')) {
      const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
      const worst = (xs: number[]) => Math.max(...xs);
      const floor = await coldStarts(o.starts, startBareFastify);
      const floorMs = median(floor);
      add({ path: `ceiling: cold start of node + bare Fastify (median, worst of ${o.starts})`, p50Ms: floorMs, p99Ms: worst(floor) });
      const starts = (label: string, xs: number[]) =>
        add({ path: `cold start to first /health, ${label} (median, worst of ${o.starts})`, p50Ms: median(xs), p99Ms: worst(xs), ceiling: `bare Fastify: ${fmt(floorMs, 0)} ms`, ratio: floorMs / median(xs) });
      // A copy of the clone, whose bundle others' edits to this checkout's src/ do not make stale.
      const clone = cloneCopy();
      try {
        bundle ??= await bundledCopy();
        const packed = bundle;
        delete process.env.TOBIRA_FROM_SOURCES;
        const firsts: number[] = [];
        for (let i = 0; i < o.starts; i++) {
          clone.edit();
          firsts.push(...(await coldStarts(1, () => startTobiraProcess(clone.bin, clone.dir))));
        }
        starts("a clone's first start after an edit (bundles src/)", firsts);
        // The clone's and the package's starts alternate, so that a change in the machine's load
        // falls on both.
        const cached: number[] = [];
        const fromDist: number[] = [];
        for (let i = 0; i < o.starts; i++) {
          cached.push(...(await coldStarts(1, () => startTobiraProcess(clone.bin, clone.dir))));
          fromDist.push(...(await coldStarts(1, () => startTobiraProcess(packed.bin, packed.dir))));
        }
        starts("a clone (its cached bundle of src/)", cached);
        starts('packed bundle (dist/)', fromDist);
        process.env.TOBIRA_FROM_SOURCES = 'tsx';
        starts('a clone with TOBIRA_FROM_SOURCES=tsx (sources through tsx)', await coldStarts(o.starts, () => startTobiraProcess(clone.bin, clone.dir)));
      } finally {
        if (fromSources === undefined) delete process.env.TOBIRA_FROM_SOURCES;
        else process.env.TOBIRA_FROM_SOURCES = fromSources;
        clone.remove();
      }
    }
  } finally {
    await server?.close();
    bundle?.remove();
    await bare?.close();
    await gen.close();
  }

  notes.push(
    'server CPU % is of one CPU (utime+stime of /proc/<pid>/stat over the case\'s wall time); for the ceilings computed in the load generator\'s process (argon2id, RS256, SRP modPow), it is that process\'s CPU (process.cpuUsage)',
    'ratio = ops/s over the tightest ceiling (each ceiling over what one operation uses of it); for cold starts, the bare start over Tobira\'s. The ceiling column also gives that limit per CPU-s, to hold beside the ops per server CPU-s',
    `Tobira runs as \`tobira start --in-memory\` with TOBIRA_LOG_LEVEL=warn; the pool's users were created passwordless (EMAIL_OTP is among its first factors), then ${pool ? pool.signers.length + pool.resetters.length : 0} given passwords by AdminSetUserPassword`,
  );
  if (o.note) notes.unshift(o.note);
  console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
  if (o.writeTable) {
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const block = [
      `Last run: ${date} UTC, ${o.seconds} s a case, ${o.concurrency} in flight, ${fmt(o.users, 0)} users.`,
      `Machine: ${machineLine(m)}.`,
      '',
      markdownTable(rows),
      '',
      ...notes.map((n) => `- ${n}`),
    ].join('\n');
    const readme = join(import.meta.dirname, 'README.md');
    writeTable(readme, block);
    console.log(`\nwrote the table to ${readme}`);
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) await run(process.argv.slice(2));
