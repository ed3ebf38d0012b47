import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Param } from '../store/db.ts';
import { defaultConfig, readMasterKeyFile } from '../config.ts';
import { sealerFor } from '../store/sealing.ts';
import { exportState, type Reader, type SecretsMode } from '../declarative/export.ts';
import { flagString, type ParsedArgs } from './args.ts';
import { openStoredData } from './data.ts';

/** The store flags `tobira keys` takes: --data-dir, --database-url, --master-key-file. */
export function storeConfig(args: ParsedArgs) {
  const config = defaultConfig();
  config.dataDir = flagString(args, 'data-dir') ?? config.dataDir;
  config.databaseUrl = flagString(args, 'database-url') ?? config.databaseUrl;
  const masterKeyFile = flagString(args, 'master-key-file');
  if (masterKeyFile !== undefined) config.masterKey = readMasterKeyFile(masterKeyFile);
  return config;
}

/** `tobira export [--pool ID] [--secrets sealed|clear|omit] > state.json` */
export async function exportCommand(args: ParsedArgs, out: (text: string) => void = (t) => process.stdout.write(t)): Promise<void> {
  const mode = flagString(args, 'secrets') ?? 'sealed';
  if (mode !== 'sealed' && mode !== 'clear' && mode !== 'omit') throw new Error(`--secrets must be sealed, clear or omit, not ${mode}`);
  const config = storeConfig(args);
  const db = await openStoredData(config, 'give --data-dir or --database-url');
  const opts = { poolId: flagString(args, 'pool'), secrets: mode as SecretsMode };
  try {
    const doc = db.dialect === 'sqlite' ? await sqliteSnapshot(config.dataDir!, (r) => exportState(r, sealerFor(config.masterKey), opts)) : await db.transaction((sql) => exportState(sql, sealerFor(config.masterKey), opts));
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    const file = flagString(args, 'out');
    if (file) writeFileSync(file, text, { mode: 0o600 });
    else out(text);
  } finally {
    await db.close();
  }
}

/**
 * Reads in one deferred transaction on a connection of its own: WAL gives it a snapshot of one
 * commit, so an export taken while the server writes is consistent (no user without its index
 * rows), and, unlike the store's write transactions, it holds no lock the server waits on.
 */
async function sqliteSnapshot<T>(dataDir: string, fn: (reader: Reader) => Promise<T>): Promise<T> {
  const conn = new BetterSqlite3(join(dataDir, 'tobira.sqlite'), { fileMustExist: true });
  try {
    conn.exec('BEGIN');
    const reader: Reader = {
      all: async <R>(sql: string, params: readonly Param[] = []) => conn.prepare(sql).all(...params) as R[],
      get: async <R>(sql: string, params: readonly Param[] = []) => conn.prepare(sql).get(...params) as R | undefined,
    };
    const out = await fn(reader);
    conn.exec('COMMIT');
    return out;
  } finally {
    conn.close();
  }
}
