import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { defaultConfig } from '../config.ts';
import { flagString, type ParsedArgs } from './args.ts';

/**
 * `tobira backup DIR`: a consistent copy of the SQLite store while the server runs. VACUUM INTO
 * reads in one transaction, so the copy is the database as of one commit, whatever the server
 * writes meanwhile (WAL mode lets both go on); the copy is itself a data directory
 * (`--data-dir DIR`). PostgreSQL has its own tools (pg_dump), or `tobira export`.
 */
export async function backup(args: ParsedArgs, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  const target = args.positional[0];
  if (!target) throw new Error('usage: tobira backup <dir> [--data-dir DIR]');
  const config = defaultConfig();
  if (flagString(args, 'database-url') ?? config.databaseUrl) throw new Error('backup copies a SQLite store; for PostgreSQL use pg_dump or tobira export');
  const dataDir = flagString(args, 'data-dir') ?? config.dataDir;
  const source = dataDir ? join(dataDir, 'tobira.sqlite') : null;
  if (!source || !existsSync(source)) throw new Error(`no Tobira data in ${dataDir ?? '(none)'} (give --data-dir)`);
  const dest = join(target, 'tobira.sqlite');
  if (resolve(dest) === resolve(source)) throw new Error('the backup directory is the data directory');
  if (existsSync(dest)) throw new Error(`${dest} exists already; give an empty directory`);
  mkdirSync(target, { recursive: true });
  const db = new BetterSqlite3(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(dest);
  } finally {
    db.close();
  }
  out(`backed up ${source} to ${dest}`);
}
