import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SqliteDatabase } from '../src/store/sqlite.ts';
import { UniqueViolation } from '../src/store/db.ts';

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
