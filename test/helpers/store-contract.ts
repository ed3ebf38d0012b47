// Checks that every store (SQLite, PostgreSQL) must pass alike, run by each store's own test file.
import assert from 'node:assert/strict';
import type { Database } from '../../src/store/db.ts';

/** rows() reads each row as an array of its values in column order (BIGINT a number), on the database and in a transaction. */
export async function checkRowsAsArrays(db: Database): Promise<void> {
  await db.run("INSERT INTO rate_counters (counter_key, window_start, count) VALUES ('r1', 5, 1), ('r2', 6, 2)");
  const sql = 'SELECT count, counter_key, window_start FROM rate_counters WHERE counter_key LIKE ? ORDER BY counter_key';
  assert.deepEqual(await db.rows(sql, ['r%']), [[1, 'r1', 5], [2, 'r2', 6]]);
  // The same text through all() still gives objects (a statement of its own).
  assert.deepEqual(await db.all(sql, ['r%']), [{ count: 1, counter_key: 'r1', window_start: 5 }, { count: 2, counter_key: 'r2', window_start: 6 }]);
  await db.transaction(async (tx) => {
    await tx.run("UPDATE rate_counters SET count = 9 WHERE counter_key = 'r2'");
    assert.deepEqual(await tx.rows(sql, ['r%']), [[1, 'r1', 5], [9, 'r2', 6]]);
  });
  assert.deepEqual(await db.rows("SELECT NULLIF(counter_key, 'r1') FROM rate_counters WHERE counter_key LIKE 'r%' ORDER BY counter_key"), [[null], ['r2']]);
}
