import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { Database } from '../store/db.ts';
import { SqliteDatabase } from '../store/sqlite.ts';

/**
 * The store a command reads directly: the PostgreSQL database when given, else the SQLite data
 * directory, which must already hold Tobira's data (`hint` says what to give instead).
 */
export async function openStoredData(config: Pick<Config, 'dataDir' | 'databaseUrl'>, hint: string): Promise<Database> {
  // pg is loaded only for a PostgreSQL store.
  if (config.databaseUrl) return (await import('../store/postgres.ts')).PostgresDatabase.open(config.databaseUrl);
  if (!config.dataDir || !existsSync(join(config.dataDir, 'tobira.sqlite'))) {
    throw new Error(`no Tobira data in ${config.dataDir ?? '(none)'} (${hint})`);
  }
  return SqliteDatabase.open(config.dataDir);
}
