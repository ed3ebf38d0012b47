import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { UniqueViolation, type Database, type Param, type Sql } from './db.ts';
import { MIGRATIONS } from './migrations.ts';

/**
 * PostgreSQL through node-postgres, for several Tobira nodes on one database. Runs the same
 * repositories and migrations as SQLite: `?` placeholders become `$1, $2 ...`, BIGINT comes back
 * as a number (epoch milliseconds and counts fit in 2^53), and a unique-key refusal (23505)
 * becomes UniqueViolation.
 *
 * Transactions run at SERIALIZABLE and are retried when PostgreSQL reports a serialization
 * failure or deadlock, so a transaction behaves as if it ran alone, as under SQLite's single
 * writer: the domain's read-check-write steps stay atomic across nodes without row locks.
 *
 * The database must compare text in byte order (LC_COLLATE "C"): ListUsers' prefix ranges and
 * page order depend on it (migrations.ts); open() refuses a database that does not.
 */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  /** The client of the transaction the current async context runs in, so nested calls join it. */
  private readonly inTx = new AsyncLocalStorage<{ client: pg.PoolClient; live: boolean }>();

  private constructor(private readonly pool: pg.Pool) {}

  /** Connects, checks the collation and brings the schema up to date (one node at a time). */
  static async open(url: string, opts: { max?: number } = {}): Promise<PostgresDatabase> {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 10,
      // BIGINT (OID 20) as a JavaScript number rather than a string.
      types: { getTypeParser: (oid, format) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig,
    });
    pool.on('error', () => {
      /* an idle client lost its connection; the pool replaces it on next use */
    });
    const db = new PostgresDatabase(pool);
    try {
      const collation = await db.get<{ datcollate: string }>('SELECT datcollate FROM pg_database WHERE datname = current_database()');
      if (collation && collation.datcollate !== 'C' && collation.datcollate !== 'POSIX') {
        throw new Error(
          `the database compares text with collation ${collation.datcollate}; Tobira needs byte order: ` +
            `CREATE DATABASE tobira TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C' ENCODING 'UTF8'`,
        );
      }
      await db.migrate();
    } catch (err) {
      await pool.end();
      throw err;
    }
    return db;
  }

  private async migrate(): Promise<void> {
    // Nodes starting together take turns. The lock is held on a connection of its own, outside the
    // migrating transaction, so that transaction's snapshot is taken after the previous node's
    // migrations committed.
    const lock = await this.pool.connect();
    try {
      await lock.query('SELECT pg_advisory_lock(7262431)');
      try {
        await this.transaction(async (sql) => {
          await sql.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
          const applied = new Set((await sql.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
          for (const m of MIGRATIONS) {
            if (applied.has(m.version)) continue;
            await sql.run(m.sql);
            await sql.run('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)', [m.version, Date.now()]);
          }
        });
      } finally {
        await lock.query('SELECT pg_advisory_unlock(7262431)');
      }
    } finally {
      lock.release();
    }
  }

  private async query<T>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly Param[] = []): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    try {
      // A migration is several statements and takes no parameters; pg runs those only unprepared.
      return params.length === 0 && sql.includes(';')
        ? await client.query<T & pg.QueryResultRow>(sql)
        : await client.query<T & pg.QueryResultRow>(numbered(sql), params as Param[]);
    } catch (err) {
      const e = err as { code?: string; table?: string };
      if (e.code === '23505') throw new UniqueViolation(e.table ?? 'unknown', undefined, { cause: err });
      throw err;
    }
  }

  /** The joined transaction's client, when the caller runs inside one. */
  private joined(): pg.PoolClient | undefined {
    const tx = this.inTx.getStore();
    return tx?.live ? tx.client : undefined;
  }

  /** Outside a transaction: on the pool, or on the joined transaction's client. */
  private readonly direct: Sql = this.sqlOn(() => this.joined() ?? this.pool);
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }
  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined> {
    return this.direct.get<T>(sql, params);
  }
  run(sql: string, params?: readonly Param[]): Promise<{ changes: number }> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const open = this.joined();
    if (open) return fn(this.handle(open, { live: true }));
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      const state = { client, live: true };
      let broken = false;
      try {
        await client.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
        const result = await this.inTx.run(state, () => fn(this.handle(client, state)));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        const code = (err as { code?: string }).code;
        // 40001 serialization_failure, 40P01 deadlock_detected: run the whole transaction again.
        if ((code === '40001' || code === '40P01') && attempt < 10) {
          await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
          continue;
        }
        throw err;
      } finally {
        state.live = false;
        client.release(broken);
      }
    }
  }

  /** The transaction's Sql; it refuses use after the transaction has ended. */
  private handle(client: pg.PoolClient, state: { live: boolean }): Sql {
    return this.sqlOn(() => {
      if (!state.live) throw new Error("a transaction's store was used after its transaction ended");
      return client;
    });
  }

  /** Sql on the client `target` picks at each call. */
  private sqlOn(target: () => pg.Pool | pg.PoolClient): Sql {
    return {
      all: async <T>(q: string, p?: readonly Param[]) => (await this.query<T>(target(), q, p)).rows as T[],
      get: async <T>(q: string, p?: readonly Param[]) => (await this.query<T>(target(), q, p)).rows[0] as T | undefined,
      run: async (q: string, p?: readonly Param[]) => ({ changes: (await this.query(target(), q, p)).rowCount ?? 0 }),
    };
  }

  async sizeBytes(): Promise<number> {
    const r = await this.get<{ size: number }>('SELECT pg_database_size(current_database()) AS size');
    return Number(r?.size ?? 0);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** `?` placeholders as `$1, $2 ...`, leaving question marks inside quoted strings alone. */
export function numbered(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else {
      out += ch;
    }
  }
  return out;
}
