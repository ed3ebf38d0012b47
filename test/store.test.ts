import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteDatabase } from '../src/store/sqlite.ts';
import { UniqueViolation } from '../src/store/db.ts';
import { checkRowsAsArrays } from './helpers/store-contract.ts';

test('a transaction commits when its function resolves and rolls back when it throws', async () => {
  const db = SqliteDatabase.open(null);
  await db.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('a', 0, 1)");
  await assert.rejects(
    db.transaction(async (sql) => {
      await sql.run("UPDATE rate_counters SET count = 2 WHERE counter_key = 'a'");
      throw new Error('abort');
    }),
  );
  assert.equal((await db.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'a'"))?.count, 1);
  await db.transaction(async (sql) => {
    await sql.run("UPDATE rate_counters SET count = 3 WHERE counter_key = 'a'");
  });
  assert.equal((await db.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'a'"))?.count, 3);
  await db.close();
});

test('concurrent transactions never interleave, and a call through the database inside one joins it instead of deadlocking', async () => {
  const db = SqliteDatabase.open(null);
  await db.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('n', 0, 0)");
  // Read-modify-write in separate statements: only correct if transactions are serialised.
  await Promise.all(
    Array.from({ length: 50 }, () =>
      db.transaction(async (sql) => {
        const r = await sql.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'n'");
        await new Promise((resolve) => setImmediate(resolve));
        await sql.run("UPDATE rate_counters SET count = ? WHERE counter_key = 'n'", [r!.count + 1]);
      }),
    ),
  );
  assert.equal((await db.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'n'"))?.count, 50);

  const inside = await Promise.race([
    db.transaction(async () => db.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'n'")),
    new Promise((_, reject) => setTimeout(() => reject(new Error('deadlock')), 2000)),
  ]);
  assert.deepEqual(inside, { count: 50 });
  await db.close();
});

test("a statement outside a transaction never sees another caller's uncommitted writes: it waits for the commit", async () => {
  const db = SqliteDatabase.open(null);
  await db.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('r', 0, 1)");
  let resume!: () => void;
  const paused = new Promise<void>((r) => (resume = r));
  let written!: () => void;
  const wrote = new Promise<void>((r) => (written = r));
  const tx = db.transaction(async (sql) => {
    await sql.run("UPDATE rate_counters SET count = 2 WHERE counter_key = 'r'");
    written();
    await paused;
    await sql.run("UPDATE rate_counters SET count = 3 WHERE counter_key = 'r'");
  });
  await wrote;
  const seen: number[] = [];
  const read = db.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'r'").then((r) => seen.push(r!.count));
  const write = db.run("UPDATE rate_counters SET window_start = 1 WHERE counter_key = 'r'");
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, [], 'the read waited for the open transaction');
  resume();
  await Promise.all([tx, read, write]);
  assert.deepEqual(seen, [3]);
  // With no transaction open, a read answers with what is committed.
  assert.deepEqual(await db.get("SELECT count, window_start FROM rate_counters WHERE counter_key = 'r'"), { count: 3, window_start: 1 });
  await db.close();
  await assert.rejects(db.get('SELECT 1'), /database is closed/);
});

test("a write refused by a unique key is a UniqueViolation naming the table, and the transaction rolls back", async () => {
  const db = SqliteDatabase.open(null);
  await db.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('u', 0, 1)");
  const err = await db
    .transaction(async (sql) => {
      await sql.run("UPDATE rate_counters SET count = 2 WHERE counter_key = 'u'");
      await sql.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('u', 0, 9)");
    })
    .catch((e: unknown) => e);
  assert.ok(err instanceof UniqueViolation, String(err));
  assert.equal(err.table, 'rate_counters');
  assert.equal((await db.get<{ count: number }>("SELECT count FROM rate_counters WHERE counter_key = 'u'"))?.count, 1);
  // Other driver errors pass through unchanged.
  await assert.rejects(db.run('SELECT * FROM no_such_table'), (e: unknown) => !(e instanceof UniqueViolation));
  await db.close();
});

test('processes opening one new data directory at once: each migration is applied exactly once, and every process opens', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { MIGRATIONS } = await import('../src/store/migrations.ts');
  const opener = `import { SqliteDatabase } from ${JSON.stringify(new URL('../src/store/sqlite.ts', import.meta.url).pathname)};
const db = SqliteDatabase.open(process.argv[1]);
await db.close();`;
  for (let round = 0; round < 3; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'tobira-migrate-race-'));
    try {
      const runs = Array.from({ length: 4 }, () =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', opener, dir], { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.on('data', (d) => (err += d));
          child.on('exit', (code) => resolve({ code, err }));
        }),
      );
      for (const r of await Promise.all(runs)) assert.equal(r.code, 0, r.err);
      const db = SqliteDatabase.open(dir);
      const versions = await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('rows() reads each row as an array of its values in column order, on the database and in a transaction', async () => {
  const db = SqliteDatabase.open(null);
  try {
    await checkRowsAsArrays(db);
  } finally {
    await db.close();
  }
});
