import BetterSqlite3 from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UniqueViolation, type Database, type Param, type Sql } from './db.ts';
import { MIGRATIONS } from './migrations.ts';
import { ScopedStorage } from '../util/scoped-storage.ts';

/**
 * SQLite through better-sqlite3, in WAL mode with synchronous=FULL so that a committed write
 * survives a power cut or `kill -9` (a response is sent only after its commit).
 *
 * better-sqlite3 is synchronous and one connection holds one transaction, while our
 * transactions are async functions. A FIFO lock serialises the transactions, and a statement
 * outside them runs at once only while no transaction holds the connection (else it queues), so
 * a statement of one request never runs inside another request's open transaction.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite' as const;
  private readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** The same texts prepared to give rows as arrays (rows()): raw mode is a statement's setting. */
  private readonly rawStatements = new Map<string, BetterSqlite3.Statement>();
  private lock: Promise<void> = Promise.resolve();
  /** Marks the async context that holds the connection, so its own nested calls join in. */
  private readonly holder = new ScopedStorage<object>();
  /** The token of the section holding the connection now; a stale context (work started in a
   * transaction that has ended) must queue like anyone else. */
  private current: object | null = null;
  private closed = false;

  private constructor(filename: string) {
    this.db = new BetterSqlite3(filename);
    if (filename !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
  }

  /** Opens (creating if needed) the database in dataDir, or in memory when dataDir is null. */
  static open(dataDir: string | null): SqliteDatabase {
    let filename = ':memory:';
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      filename = join(dataDir, 'tobira.sqlite');
    }
    const db = new SqliteDatabase(filename);
    db.migrate();
    return db;
  }

  /**
   * Brings the schema up to date. Several processes may open one new data directory at once (two
   * nodes starting together): each migration is applied in a write transaction taken before it
   * looks at what is applied, so exactly one process applies it and the others see it done.
   */
  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const apply = this.db.transaction((m: (typeof MIGRATIONS)[number]) => {
      if (this.db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(m.version)) return;
      this.db.exec(m.sql);
      if (m.sqlite) this.db.exec(m.sqlite);
      this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    });
    for (const m of MIGRATIONS) apply.immediate(m);
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private rawStmt(sql: string): BetterSqlite3.Statement {
    let s = this.rawStatements.get(sql);
    if (!s) {
      s = this.db.prepare(sql).raw(true);
      this.rawStatements.set(sql, s);
    }
    return s;
  }

  private readonly direct: Sql = {
    all: async <T>(sql: string, params: readonly Param[] = []) => driverCall(() => this.stmt(sql).all(...params) as T[]),
    rows: async <T extends unknown[]>(sql: string, params: readonly Param[] = []) => driverCall(() => this.rawStmt(sql).all(...params) as T[]),
    get: async <T>(sql: string, params: readonly Param[] = []) => driverCall(() => this.stmt(sql).get(...params) as T | undefined),
    run: async (sql: string, params: readonly Param[] = []) => driverCall(() => ({ changes: this.stmt(sql).run(...params).changes })),
  };

  /**
   * Waits for the connection, runs fn alone on it, then lets the next one in. `scoped`: fn may
   * call back into this database through app.store (a transaction), so its async context is
   * marked as the holder's (a ScopedStorage: on only while such a section runs).
   */
  private async exclusive<T>(fn: () => Promise<T>, scoped = true): Promise<T> {
    // A call from inside the open transaction (through app.store rather than the transaction's
    // store) runs inside it: waiting for the lock there would wait for itself forever.
    if (this.current && this.holder.get() === this.current) return fn();
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise<void>((r) => (release = r));
    await previous;
    try {
      if (this.closed) throw new Error('database is closed');
      const token = {};
      this.current = token;
      return await (scoped ? this.holder.run(token, fn) : fn());
    } finally {
      this.current = null;
      release();
    }
  }

  /**
   * One statement outside any transaction. better-sqlite3 runs it to the end before anything
   * else can, so when no transaction holds the connection it runs at once, seeing only
   * committed rows; otherwise it waits its turn (or, called from inside the open transaction,
   * joins it).
   */
  private single<T>(run: () => T): Promise<T> {
    if (this.current || this.db.inTransaction || this.closed) return this.exclusive(async () => driverCall(run), false);
    try {
      return Promise.resolve(driverCall(run));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.single(() => this.stmt(sql).all(...params) as T[]);
  }
  get<T>(sql: string, params: readonly Param[] = []): Promise<T | undefined> {
    return this.single(() => this.stmt(sql).get(...params) as T | undefined);
  }
  rows<T extends unknown[]>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    return this.single(() => this.rawStmt(sql).all(...params) as T[]);
  }
  run(sql: string, params: readonly Param[] = []): Promise<{ changes: number }> {
    return this.single(() => ({ changes: this.stmt(sql).run(...params).changes }));
  }

  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    if (this.current && this.holder.get() === this.current && this.db.inTransaction) return fn(this.direct);
    return this.exclusive(async () => {
      const token = this.current;
      const live = () => {
        if (this.current !== token) throw new Error("a transaction's store was used after its transaction ended");
      };
      // The transaction's handle refuses use after the commit, when it would run unlocked.
      const txSql: Sql = {
        all: (q, p) => (live(), this.direct.all(q, p)),
        get: (q, p) => (live(), this.direct.get(q, p)),
        rows: (q, p) => (live(), this.direct.rows(q, p)),
        run: (q, p) => (live(), this.direct.run(q, p)),
      };
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(txSql);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  async sizeBytes(): Promise<number> {
    return this.exclusive(async () => {
      const pages = this.db.pragma('page_count', { simple: true }) as number;
      const size = this.db.pragma('page_size', { simple: true }) as number;
      return pages * size;
    });
  }

  async close(): Promise<void> {
    await this.exclusive(async () => {
      this.closed = true;
      if (this.db.open) {
        this.db.pragma('wal_checkpoint(TRUNCATE)');
        this.db.close();
      }
    });
  }
}

/** Runs a driver call, turning a unique-key refusal into the store's UniqueViolation. */
function driverCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      // better-sqlite3's message: "UNIQUE constraint failed: users.pool_id, users.username_key".
      const table = /failed: ([^.,\s]+)\./.exec((err as Error).message)?.[1] ?? 'unknown';
      throw new UniqueViolation(table, undefined, { cause: err });
    }
    throw err;
  }
}
