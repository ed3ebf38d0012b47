// Users at scale: 100,000 users in one pool on an on-disk SQLite store, then AdminCreateUser,
// AdminGetUser and prefix-filtered ListUsers over HTTP, and the database size.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config.ts';
import { startTobira } from '../src/tobira.ts';
import { PostgresDatabase } from '../src/store/postgres.ts';
import { createDatabase } from '../test/helpers/postgres.ts';
import { passwordSecrets } from '../src/domain/users/passwords.ts';
import { aliasKeysFor, newUser } from '../src/domain/users/users.ts';
import { getPool } from '../src/domain/pools/user-pools.ts';
import { uuid } from '../src/util/ids.ts';
import { fmt, idpCall, percentile, throughput } from './util.ts';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const CREATES = Number(process.env.BENCH_CREATES ?? 2_000);
const GETS = 10_000;
const LISTS = 1_000;

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tobira-bench-users-'));
  // BENCH_POSTGRES=<admin URL>: the same figures on a fresh PostgreSQL database of that server.
  const admin = process.env.BENCH_POSTGRES;
  const database = admin ? await PostgresDatabase.open(await createDatabase(admin)) : undefined;
  console.log(`store: ${admin ? 'PostgreSQL' : 'SQLite (on disk, WAL)'}`);
  const running = await startTobira({ ...defaultConfig({}), port: 0, dataDir: dir, logLevel: 'silent' }, { database });
  const { app, url } = running;
  try {
    const poolId = (await idpCall(url, 'CreateUserPool', { PoolName: 'bench', AliasAttributes: ['email'] })).UserPool.Id;
    const pool = await getPool(app.store, poolId);

    // Bulk load through the store, in transactions of 1,000, all with ONE precomputed password
    // hash: 100,000 argon2id hashes would measure argon2, not Tobira.
    const secrets = await passwordSecrets(app, poolId, 'bench', 'Bench#Password1');
    let started = performance.now();
    const now = app.clock.now();
    for (let i = 0; i < USERS; i += 1000) {
      await app.store.tx(async (s) => {
        for (let j = i; j < Math.min(i + 1000, USERS); j++) {
          const sub = uuid(app.random);
          const username = `user${String(j).padStart(6, '0')}`;
          const user = newUser(pool, {
            username, sub, status: 'CONFIRMED', now,
            attributes: { email: `${username}@example.com`, email_verified: 'true', given_name: `Given${j % 997}`, family_name: `Family${j % 991}` },
          });
          Object.assign(user, secrets, { passwordChangedAt: now });
          await s.users.insert(user);
          await s.users.setAliases(poolId, user.usernameKey, aliasKeysFor(pool, user));
        }
      });
    }
    const loadSec = (performance.now() - started) / 1000;
    console.log(`bulk load: ${fmt(USERS, 0)} users through the store in ${fmt(loadSec)} s (${fmt(USERS / loadSec, 0)}/s; one precomputed argon2id hash shared by all)`);

    // AdminCreateUser over HTTP with real argon2id hashing of each temporary password.
    const createRate = await throughput(CREATES, 4, (i) =>
      idpCall(url, 'AdminCreateUser', {
        UserPoolId: poolId, Username: `new${i}`, TemporaryPassword: `Temp#Pass${i}x`, MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'email', Value: `new${i}@example.com` }],
      }),
    );
    console.log(`AdminCreateUser over HTTP: ${fmt(createRate)}/s (${fmt(CREATES, 0)} users, real argon2id per user, 4 in flight)`);

    const getRate = await throughput(GETS, 8, (i) =>
      idpCall(url, 'AdminGetUser', { UserPoolId: poolId, Username: `user${String((i * 7919) % USERS).padStart(6, '0')}` }),
    );
    console.log(`AdminGetUser over HTTP: ${fmt(getRate)}/s (${fmt(GETS, 0)} calls, 8 in flight)`);

    // Prefix filters from narrow (one user) to broad (every user), a page of 60 each.
    const prefixes = ['user0', 'user01', 'user012', 'user0123', 'user01234', 'user'];
    const byPrefix: Record<string, number[]> = {};
    const all: number[] = [];
    for (let i = 0; i < LISTS; i++) {
      const p = prefixes[i % prefixes.length];
      const value = p === 'user' ? p : `user${String((i * 31) % USERS).padStart(6, '0')}`.slice(0, p.length);
      const t0 = performance.now();
      const r = await idpCall(url, 'ListUsers', { UserPoolId: poolId, Filter: `email ^= "${value}"`, Limit: 60 });
      const ms = performance.now() - t0;
      if (!r.Users.length) throw new Error(`no users for ${value}`);
      (byPrefix[p.length] ??= []).push(ms);
      all.push(ms);
    }
    all.sort((a, b) => a - b);
    console.log(`ListUsers email ^= prefix, Limit 60, over HTTP: p50 ${fmt(percentile(all, 50), 2)} ms, p99 ${fmt(percentile(all, 99), 2)} ms (${LISTS} calls)`);
    for (const [len, ms] of Object.entries(byPrefix)) {
      ms.sort((a, b) => a - b);
      console.log(`  prefix of ${len} chars: p50 ${fmt(percentile(ms, 50), 2)} ms, p99 ${fmt(percentile(ms, 99), 2)} ms`);
    }
    // A deep page: the token seeks, it does not rescan.
    let token: string | undefined;
    started = performance.now();
    let pages = 0;
    for (let i = 0; i < 50; i++) {
      const r = await idpCall(url, 'ListUsers', { UserPoolId: poolId, Filter: 'email ^= "user"', Limit: 60, ...(token ? { PaginationToken: token } : {}) });
      token = r.PaginationToken;
      pages++;
    }
    console.log(`ListUsers paging 50 pages of a broad prefix: ${fmt((performance.now() - started) / pages, 2)} ms per page`);

    const total = USERS + CREATES;
    console.log(`database size: ${fmt((await app.store.db.sizeBytes()) / 1024 / 1024)} MiB for ${fmt(total, 0)} users (${fmt((await app.store.db.sizeBytes()) / total, 0)} bytes/user)`);
  } finally {
    await running.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
