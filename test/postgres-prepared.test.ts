import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresDatabase, numbered } from '../src/store/postgres.ts';
import type { Param, Sql } from '../src/store/db.ts';
import { UserRepo, type UserFilter } from '../src/store/repos/users.ts';
import { startPostgres, type RunningPostgres } from './helpers/postgres.ts';
import { okCall, startTestServer } from './helpers/tobira.ts';

/**
 * The PostgreSQL store prepares its statements once per connection (src/store/postgres.ts). A
 * prepared statement outlives a schema change made by another node, and after a few runs may be
 * planned for any parameter value: neither may cost a caller an error or a full scan.
 */
describe('PostgreSQL prepared statements', () => {
  let server: RunningPostgres;
  before(async () => {
    server = await startPostgres();
  });
  after(() => server?.stop());

  /** Adds a column to every table of the schema, as a migration run by another node would. */
  async function migrateElsewhere(url: string, column: string): Promise<void> {
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      const tables = await other.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
      for (const { tablename } of tables.rows) await other.query(`ALTER TABLE "${tablename}" ADD COLUMN ${column} TEXT`);
    } finally {
      await other.end();
    }
  }

  test('a SELECT * prepared before another connection alters its table still answers, on the pool and in a transaction', async () => {
    const url = await server.newDatabase();
    const db = await PostgresDatabase.open(url, { max: 3 });
    try {
      await db.run('CREATE TABLE gadgets (id TEXT PRIMARY KEY, name TEXT NOT NULL)');
      await db.run("INSERT INTO gadgets (id, name) VALUES ('g1', 'one')");
      const read = 'SELECT * FROM gadgets WHERE id = ?';
      // Prepared on every connection of the pool, and run often enough for a generic plan.
      const warm = () => Promise.all(Array.from({ length: 3 }, () => db.transaction(async (sql) => { for (let i = 0; i < 7; i++) await sql.get(read, ['g1']); })));
      await warm();
      const other = new pg.Client({ connectionString: url });
      await other.connect();
      await other.query("ALTER TABLE gadgets ADD COLUMN colour TEXT NOT NULL DEFAULT 'red'");
      await other.end();
      // In transactions first (each connection's prepared statement is stale), then on the pool.
      const inTx = await Promise.all(Array.from({ length: 3 }, () => db.transaction((sql) => sql.get(read, ['g1']))));
      for (const row of inTx) assert.deepEqual(row, { id: 'g1', name: 'one', colour: 'red' });
      await warm();
      const other2 = new pg.Client({ connectionString: url });
      await other2.connect();
      await other2.query('ALTER TABLE gadgets ADD COLUMN size INTEGER');
      await other2.end();
      const direct = await Promise.all(Array.from({ length: 6 }, () => db.get(read, ['g1'])));
      for (const row of direct) assert.deepEqual(row, { id: 'g1', name: 'one', colour: 'red', size: null });
      assert.deepEqual(await db.rows(read, ['g1']), [['g1', 'one', 'red', null]]);
      // A nested transaction joins the outer one, and a write after the stale read commits once.
      await warm();
      const other3 = new pg.Client({ connectionString: url });
      await other3.connect();
      await other3.query('ALTER TABLE gadgets DROP COLUMN size');
      await other3.end();
      await db.transaction(async (sql) => {
        await db.transaction((inner) => inner.get(read, ['g1']));
        await sql.run("INSERT INTO gadgets (id, name) VALUES ('g2', 'two')");
      });
      assert.deepEqual(await db.all('SELECT id FROM gadgets ORDER BY id'), [{ id: 'g1' }, { id: 'g2' }]);
    } finally {
      await db.close();
    }
  });

  test('a server keeps answering AdminGetUser, ListUsers and group reads while another node alters every table', async () => {
    const url = await server.newDatabase();
    const t = await startTestServer({}, { database: await PostgresDatabase.open(url) });
    try {
      const poolId = (await okCall(t.url, 'CreateUserPool', { PoolName: 'prepared' })).UserPool.Id;
      await okCall(t.url, 'CreateGroup', { UserPoolId: poolId, GroupName: 'staff' });
      for (let i = 0; i < 12; i++) {
        await okCall(t.url, 'AdminCreateUser', { UserPoolId: poolId, Username: `user${i}`, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `user${i}@example.com` }] });
      }
      await okCall(t.url, 'AdminAddUserToGroup', { UserPoolId: poolId, Username: 'user1', GroupName: 'staff' });
      const calls = async (round: number) => {
        const i = round % 12;
        const got = await okCall(t.url, 'AdminGetUser', { UserPoolId: poolId, Username: `user${i}` });
        assert.equal(got.Username, `user${i}`);
        const listed = await okCall(t.url, 'ListUsers', { UserPoolId: poolId, Filter: `email ^= "user${i}"`, Limit: 5 });
        assert.ok(listed.Users.some((u: { Username: string }) => u.Username === `user${i}`));
        assert.equal((await okCall(t.url, 'ListUsers', { UserPoolId: poolId, Limit: 60 })).Users.length, 12);
        assert.equal((await okCall(t.url, 'GetGroup', { UserPoolId: poolId, GroupName: 'staff' })).Group.GroupName, 'staff');
        assert.deepEqual((await okCall(t.url, 'AdminListGroupsForUser', { UserPoolId: poolId, Username: 'user1' })).Groups.map((g: { GroupName: string }) => g.GroupName), ['staff']);
        // A transaction that reads a group (SELECT *) before it writes.
        await okCall(t.url, 'AdminAddUserToGroup', { UserPoolId: poolId, Username: `user${i}`, GroupName: 'staff' });
      };
      const load = (rounds: number) => Promise.all(Array.from({ length: 8 }, async (_, k) => { for (let r = 0; r < rounds; r++) await calls(k * rounds + r); }));
      await load(4);
      // The migration lands while requests are in flight, then again between two busy spells.
      await Promise.all([load(4), migrateElsewhere(url, 'added_one')]);
      await load(2);
      await migrateElsewhere(url, 'added_two');
      await load(4);
    } finally {
      await t.close();
    }
  });

  test("every ListUsers filter's generic plan reads an index, as its custom plan does", async (t) => {
    const url = await server.newDatabase();
    const db = await PostgresDatabase.open(url);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // Enough users for the planner to prefer an index: two pools, four statuses, one email each.
      await db.run("INSERT INTO user_pools (id, region, name, config, created_at, updated_at) VALUES ('p1', 'r', 'one', '{}', 1, 1), ('p2', 'r', 'two', '{}', 1, 1)");
      await client.query(`INSERT INTO users (pool_id, username_key, username, sub, status, enabled, attributes, created_at, updated_at)
        SELECT p, 'user' || i, 'user' || i, p || '-sub-' || i, (ARRAY['CONFIRMED', 'UNCONFIRMED', 'FORCE_CHANGE_PASSWORD', 'RESET_REQUIRED'])[1 + i % 4], 1 - (i % 9 = 0)::int, '{}', 1, 1
        FROM generate_series(1, 20000) i, (VALUES ('p1'), ('p2')) v(p)`);
      await client.query(`INSERT INTO user_attribute_index (pool_id, name, value, username_key)
        SELECT pool_id, name, CASE name WHEN 'email' THEN username || '@example.com' ELSE 'v' || username END, username_key
        FROM users, (VALUES ('email'), ('given_name')) v(name)`);
      await client.query('ANALYZE');

      // Each filter shape's statement, as UserRepo.listRows builds it.
      const seen: { sql: string; params: readonly Param[] }[] = [];
      const capture: Sql = {
        all: async () => [],
        get: async () => undefined,
        rows: async (sql, params = []) => (seen.push({ sql, params }), []),
        run: async () => ({ changes: 0 }),
      };
      const repo = new UserRepo(capture);
      const values: Record<string, string> = { username: 'user12', sub: 'p1-sub-12', status: 'CONFIRMED', enabled: '1', email: 'user12', given_name: 'vuser12' };
      await repo.listRows('p1', null, null, 60);
      await repo.listRows('p1', null, { key: 'user500' }, 60);
      for (const field of Object.keys(values) as UserFilter['field'][]) {
        for (const op of ['=', '^='] as const) {
          if (field === 'enabled' && op === '^=') continue; // Cognito filters enabled by equality only.
          await repo.listRows('p1', { field, op, value: values[field] }, null, 60);
          await repo.listRows('p1', { field, op, value: values[field] }, { key: 'user500', value: op === '^=' ? `${values[field]}5` : undefined }, 60);
        }
      }
      assert.equal(seen.length, 2 + 2 * 11);

      const plan = async (mode: 'force_custom_plan' | 'force_generic_plan', sql: string, params: readonly Param[]) => {
        await client.query(`SET plan_cache_mode = ${mode}`);
        await client.query(`PREPARE listed AS ${numbered(sql)}`);
        try {
          const args = params.map((p) => (typeof p === 'number' ? String(p) : client.escapeLiteral(String(p)))).join(', ');
          const r = await client.query(`EXPLAIN (FORMAT TEXT) EXECUTE listed(${args})`);
          return r.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n');
        } finally {
          await client.query('DEALLOCATE listed');
        }
      };
      for (const { sql, params } of seen) {
        const custom = await plan('force_custom_plan', sql, params);
        const generic = await plan('force_generic_plan', sql, params);
        t.diagnostic(`${sql.slice(sql.indexOf('WHERE'))}\n-- generic:\n${generic}`);
        assert.doesNotMatch(custom, /Seq Scan/, `custom plan of ${sql}:\n${custom}`);
        assert.doesNotMatch(generic, /Seq Scan/, `generic plan of ${sql}:\n${generic}`);
        // The page is read in index order, stopping after one page, not sorted from all matches.
        const sorted = (p: string) => /Sort\b/.test(p) && !/Incremental Sort/.test(p);
        if (!sorted(custom)) assert.ok(!sorted(generic), `generic plan sorts where the custom plan does not: ${sql}:\n${generic}\n-- custom:\n${custom}`);
      }
    } finally {
      await client.end();
      await db.close();
    }
  });
});
