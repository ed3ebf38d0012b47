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
