/**
 * The narrow SQL seam under the Store. Repositories write portable SQL with `?` placeholders
 * (SQLite and PostgreSQL both run it; the PostgreSQL driver rewrites them to $1, $2 ...).
 * Portability rules: INTEGER 0/1 for booleans, BIGINT epoch milliseconds for times, TEXT JSON
 * for documents, `ON CONFLICT ... DO` for upserts, no AUTOINCREMENT, no driver-specific functions.
 */
export type Param = string | number | null;

export interface Sql {
  all<T>(sql: string, params?: readonly Param[]): Promise<T[]>;
  get<T>(sql: string, params?: readonly Param[]): Promise<T | undefined>;
  /**
   * The rows as arrays of their values, in the order of the SELECT's columns. For long lists (a
   * ListUsers page): the drivers build an array much faster than an object with named fields.
   */
  rows<T extends unknown[]>(sql: string, params?: readonly Param[]): Promise<T[]>;
  run(sql: string, params?: readonly Param[]): Promise<{ changes: number }>;
}

export interface Database extends Sql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs fn in one transaction: committed when fn resolves, rolled back when it throws. */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** A rough size of the stored data in bytes, for operators and benchmarks. */
  sizeBytes(): Promise<number>;
  close(): Promise<void>;
}

/**
 * A write refused by a unique key (primary key or unique index). Database implementations
 * throw it in place of their driver's error (SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY,
 * PostgreSQL 23505), and repositories that insert with `ON CONFLICT DO NOTHING` throw it with
 * the key that was taken, so that the domain can answer with Cognito's error (e.g.
 * UsernameExistsException when two nodes create one username at once) instead of a 500.
 */
export class UniqueViolation extends Error {
  constructor(
    /** The table whose key was taken. */
    readonly table: string,
    /** The taken key when the thrower knows it (e.g. the alias key of user_aliases). */
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(`unique key taken in ${table}${key === undefined ? '' : ` (${key})`}`, options);
    this.name = 'UniqueViolation';
  }
}
