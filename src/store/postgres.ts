import { createHash } from 'node:crypto';
import { ScopedStorage } from '../util/scoped-storage.ts';
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
 * writer: the domain's read-check-write steps stay atomic across nodes. A conflict is retried
 * with exponential backoff and full jitter for as long as the retry budget lasts (15 s by
 * default; `retryBudgetMs`, env TOBIRA_DATABASE_RETRY_SECONDS), never a fixed number of times,
 * so ordinary contention never reaches a client as an error. A retry runs alone (TURNS below), so
 * a transaction loses to another at most once. Repositories cut conflicts at their source: they
 * write only the rows that change, and a transaction that reads a user locks its row
 * (repos/users.ts), so writers of one user queue instead of running to a failed commit.
 *
 * The database must compare text in byte order (LC_COLLATE "C"): ListUsers' prefix ranges and
 * page order depend on it (migrations.ts); open() refuses a database that does not.
 *
 * The repositories' statements are prepared once per connection (a name derived from the text;
 * node-postgres parses a name on a connection the first time it runs there): PostgreSQL then
 * skips parsing and planning on each call, most of its work for a one-row read (its CPU per
 * AdminGetUser went from about 590 µs to 180, per ListUsers page of 60 from 1,310 to 510). A prepared
 * statement keeps the result columns it was parsed with: after another node's migration alters a
 * table it reads with `SELECT *`, PostgreSQL refuses it ("cached plan must not change result
 * type"); such a statement is run again unprepared, and its connection dropped (STALE below).
 * After five runs PostgreSQL may plan a prepared statement for any parameter values (a generic
 * plan): ListUsers' filters are equalities and `>= ? AND < ?` ranges, whose generic plans use the
 * same indexes (test/postgres-prepared.test.ts checks each shape).
 */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres' as const;
  /**
   * The client of the transaction the current async context runs in, so nested calls join it, and
   * whether its statements run prepared (not once one found its prepared plan stale).
   */
  private readonly inTx = new ScopedStorage<TxState>();

  private constructor(
    private readonly pool: pg.Pool,
    /** How long a transaction (or statement) is retried on serialization failures and deadlocks. */
    private readonly retryBudgetMs: number,
  ) {}

  /** Connects, checks the collation and brings the schema up to date (one node at a time). */
  static async open(url: string, opts: { max?: number; retryBudgetMs?: number } = {}): Promise<PostgresDatabase> {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 10,
      // BIGINT (OID 20) as a JavaScript number rather than a string.
      types: { getTypeParser: (oid, format) => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) } as pg.CustomTypesConfig,
    });
    pool.on('error', () => {
      /* an idle client lost its connection; the pool replaces it on next use */
    });
    const db = new PostgresDatabase(pool, opts.retryBudgetMs ?? retryBudgetFromEnv());
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
        // Every transaction locks this table first (transaction() below), so it exists before any.
        await lock.query(`CREATE TABLE IF NOT EXISTS ${TURNS} (turn INTEGER)`);
        await this.transaction(async (sql) => {
          await sql.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
          const applied = new Set((await sql.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
          for (const m of MIGRATIONS) {
            if (applied.has(m.version)) continue;
            await sql.run(m.sql);
            if (m.postgres) await sql.run(m.postgres);
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

  /**
   * Runs one statement on `client`, prepared (named) unless `prepare` is false or the text is not
   * one of the repositories' statements (statementOf).
   */
  private async query<T>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly Param[] = [], arrays = false, prepare = true): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    // A migration is several statements and takes no parameters; pg runs those only unprepared.
    const statement = params.length === 0 && sql.includes(';') ? { text: sql, name: undefined } : statementOf(sql);
    const name = prepare ? statement.name : undefined;
    try {
      // rows(): each row as an array of its values (rowMode 'array').
      const config: pg.QueryConfig<Param[]> & { rowMode?: 'array' } = { text: statement.text, values: params as Param[], name, rowMode: arrays ? 'array' : undefined };
      return await client.query<T & pg.QueryResultRow>(config);
    } catch (err) {
      const e = err as { code?: string; table?: string };
      if (e.code === '23505') throw new UniqueViolation(e.table ?? 'unknown', undefined, { cause: err });
      if (name !== undefined && e.code === STALE) {
        // Refused before it ran. On the pool, the failed statement's connection is dropped (pg-pool
        // drops a connection whose query failed), with the prepared statement; in a transaction,
        // the transaction is aborted: transaction() runs it again unprepared.
        if (client === this.pool) return this.query<T>(client, sql, params, arrays, false);
        stalePlans.add(err as object);
      }
      throw err;
    }
  }

  /** The joined transaction's client, when the caller runs inside one. */
  private joined(): pg.PoolClient | undefined {
    const tx = this.inTx.get();
    return tx?.live ? tx.client : undefined;
  }

  /**
   * Outside a transaction: on the pool, or on the joined transaction's client. A statement on the
   * pool commits on its own; when PostgreSQL refuses it as a deadlock victim (or a serialization
   * failure) it changed nothing, so it is run again within the retry budget.
   */
  private readonly direct: Sql = (() => {
    const on = this.sqlOn(() => this.joined() ?? this.pool, () => this.inTx.get()?.prepare ?? true);
    const retried = <T>(run: () => Promise<T>) => (this.joined() ? run() : this.retrying(() => run()));
    return {
      all: <T>(q: string, p?: readonly Param[]) => retried(() => on.all<T>(q, p)),
      get: <T>(q: string, p?: readonly Param[]) => retried(() => on.get<T>(q, p)),
      rows: <T extends unknown[]>(q: string, p?: readonly Param[]) => retried(() => on.rows<T>(q, p)),
      run: (q: string, p?: readonly Param[]) => retried(() => on.run(q, p)),
    };
  })();
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.direct.all<T>(sql, params);
  }
  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined> {
    return this.direct.get<T>(sql, params);
  }
  rows<T extends unknown[]>(sql: string, params?: readonly Param[]): Promise<T[]> {
    return this.direct.rows<T>(sql, params);
  }
  run(sql: string, params?: readonly Param[]): Promise<{ changes: number }> {
    return this.direct.run(sql, params);
  }

  async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const open = this.inTx.get();
    if (open?.live) return fn(this.handle(open.client, { ...open, live: true }));
    return this.retrying(async (retry, stale) => {
      const client = await this.pool.connect();
      const state: TxState = { client, live: true, prepare: !stale };
      let broken = false;
      try {
        // The turn is taken before the first query, so the transaction's snapshot is taken after it.
        await client.query(`BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE ${TURNS} IN ${retry === 0 ? 'SHARE' : 'EXCLUSIVE'} MODE`);
        const result = await this.inTx.run(state, () => fn(this.handle(client, state)));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        // The connection keeps the stale prepared statement: a new one replaces it.
        if (stalePlans.has(err as object)) broken = true;
        throw err;
      } finally {
        state.live = false;
        client.release(broken);
      }
    });
  }

  /**
   * Runs attempt (given the number of attempts before it) until it settles with anything but a
   * retryable conflict (40001 serialization_failure, 40P01 deadlock_detected: the whole
   * transaction is run again). Waits between attempts grow exponentially, with full jitter (a
   * random wait up to the bound) so that transactions that collided do not collide again in step;
   * the last conflict is thrown only once the retry budget is spent. An attempt that failed on a
   * stale prepared statement (query()) is run again at once, and from then on `stale`: unprepared.
   */
  private async retrying<T>(attempt: (retry: number, stale: boolean) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.retryBudgetMs;
    let stale = false;
    for (let n = 0; ; n++) {
      try {
        return await attempt(n, stale);
      } catch (err) {
        if (!stale && stalePlans.has(err as object)) {
          stale = true;
          n--;
          continue;
        }
        const code = (err as { code?: string }).code;
        if (code !== '40001' && code !== '40P01') throw err;
        const left = deadline - Date.now();
        if (left <= 0) throw err;
        const bound = Math.min(RETRY_MAX_WAIT_MS, RETRY_BASE_WAIT_MS * 2 ** Math.min(n, 16));
        await new Promise((r) => setTimeout(r, Math.min(left, Math.random() * bound)));
      }
    }
  }

  /** The transaction's Sql; it refuses use after the transaction has ended. */
  private handle(client: pg.PoolClient, state: TxState): Sql {
    return this.sqlOn(
      () => {
        if (!state.live) throw new Error("a transaction's store was used after its transaction ended");
        return client;
      },
      () => state.prepare,
    );
  }

  /** Sql on the client `target` picks at each call, prepared while `prepare` says so. */
  private sqlOn(target: () => pg.Pool | pg.PoolClient, prepare: () => boolean): Sql {
    return {
      all: async <T>(q: string, p?: readonly Param[]) => (await this.query<T>(target(), q, p, false, prepare())).rows as T[],
      get: async <T>(q: string, p?: readonly Param[]) => (await this.query<T>(target(), q, p, false, prepare())).rows[0] as T | undefined,
      rows: async <T extends unknown[]>(q: string, p?: readonly Param[]) => (await this.query<T>(target(), q, p, true, prepare())).rows as unknown as T[],
      run: async (q: string, p?: readonly Param[]) => ({ changes: (await this.query(target(), q, p, false, prepare())).rowCount ?? 0 }),
    };
  }

  /** The connection pool's state, for /metrics (http/metrics.ts). */
  poolState(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async sizeBytes(): Promise<number> {
    const r = await this.get<{ size: number }>('SELECT pg_database_size(current_database()) AS size');
    return Number(r?.size ?? 0);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/**
 * The table whose lock takes turns between transactions, on every node: a first attempt takes it
 * in SHARE mode, so first attempts run side by side; a retry takes it in EXCLUSIVE mode, so it
 * waits for the transactions in flight to end, runs alone (new ones wait behind it) and sees
 * everything they committed. Serializable transactions conflict only with transactions that
 * overlap them, so a retry cannot lose to another transaction again: under contention the store
 * degrades to one writer at a time, as SQLite is, instead of retrying in circles. (Only a
 * statement run outside a transaction, such as a sign-in attempt's counter, can still make it
 * retry again.)
 */
const TURNS = 'transaction_turns';

interface TxState {
  client: pg.PoolClient;
  live: boolean;
  prepare: boolean;
}

/**
 * PostgreSQL's SQLSTATE (feature_not_supported) for "cached plan must not change result type": a
 * prepared statement's result columns changed under it (an ALTER TABLE on a table it reads with
 * `SELECT *`, or a column's type). It is raised before the statement runs, and again at each run
 * until the statement is dropped.
 */
const STALE = '0A000';

/** Errors query() had from a stale prepared statement inside a transaction. */
const stalePlans = new WeakSet<object>();

/** The first retry waits up to this long, each further one up to twice as long as the last ... */
const RETRY_BASE_WAIT_MS = 2;
/** ... up to this bound. */
const RETRY_MAX_WAIT_MS = 200;
/** The retry budget when open() is not given one: TOBIRA_DATABASE_RETRY_SECONDS, else 15 s. */
export const DEFAULT_RETRY_BUDGET_MS = 15_000;

function retryBudgetFromEnv(): number {
  const raw = process.env.TOBIRA_DATABASE_RETRY_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_RETRY_BUDGET_MS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) throw new Error(`TOBIRA_DATABASE_RETRY_SECONDS must be a number of seconds, not ${JSON.stringify(raw)}`);
  return seconds * 1000;
}

/** A statement as PostgreSQL is sent it, and the name it is prepared under (none: unprepared). */
interface Statement {
  text: string;
  name: string | undefined;
}

/**
 * The repositories' statements are a fixed set of texts (about 300; a few, such as IN-lists, in a
 * few fixed sizes): each is rewritten once, and named after its text, so its name is the same on
 * every node. Each connection keeps each statement it has run: a text built from values would add
 * one per call, so beyond PREPARED_TEXTS texts statements run unprepared. Only data statements are
 * prepared, not DDL or other one-off commands.
 */
const statements = new Map<string, Statement>();
const preparedTexts = new Set<string>();
const PREPARED_TEXTS = 1_000;
const PREPARABLE = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;
/** TOBIRA_POSTGRES_PREPARE=false: nothing prepared, for a pooler in transaction mode that cannot keep them (PgBouncer before 1.21). */
const PREPARING = process.env.TOBIRA_POSTGRES_PREPARE !== 'false';
function statementOf(sql: string): Statement {
  let out = statements.get(sql);
  if (out === undefined) {
    const text = numbered(sql);
    let name: string | undefined;
    if (PREPARING && PREPARABLE.test(text) && (preparedTexts.has(text) || preparedTexts.size < PREPARED_TEXTS)) {
      preparedTexts.add(text);
      name = `t${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
    }
    out = { text, name };
    // Bounded, should statements ever be built from values.
    if (statements.size >= 5_000) statements.clear();
    statements.set(sql, out);
  }
  return out;
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
