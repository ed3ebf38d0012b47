import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock } from '../clock.ts';
import { defaultConfig, readMasterKeyFile } from '../config.ts';
import { rotatePoolKeys } from '../domain/keys.ts';
import { SqliteDatabase } from '../store/sqlite.ts';
import { PostgresDatabase } from '../store/postgres.ts';
import { Store } from '../store/store.ts';
import { clearSealer, masterKeySealer } from '../store/sealing.ts';
import { flagString, type ParsedArgs } from './args.ts';

export const KEYS_USAGE = `  keys rotate  New signing keys for token signing; the previous ones stay in the JWKS for a day,
             until the last token they signed has expired. Safe while the server runs.
             --pool <ID>         only this user pool (default: every pool)
             --data-dir <DIR>    the store (env TOBIRA_DATA_DIR, default ./.tobira)
             --database-url <U>  the PostgreSQL store instead (env TOBIRA_DATABASE_URL)
             --master-key-file <F> the server's master key, if it has one (env TOBIRA_MASTER_KEY)
`;

/** `tobira keys rotate [--pool ID] [--data-dir DIR]`: prints one line per pool with the new kids. */
export async function keys(args: ParsedArgs, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  if (args.positional[0] !== 'rotate') throw new Error(`usage: tobira keys rotate [--pool ID] [--data-dir DIR]\n${KEYS_USAGE}`);
  const config = defaultConfig();
  config.dataDir = flagString(args, 'data-dir') ?? config.dataDir;
  config.databaseUrl = flagString(args, 'database-url') ?? config.databaseUrl;
  const masterKeyFile = flagString(args, 'master-key-file');
  if (masterKeyFile !== undefined) config.masterKey = readMasterKeyFile(masterKeyFile);
  if (!config.databaseUrl && (!config.dataDir || !existsSync(join(config.dataDir, 'tobira.sqlite')))) {
    throw new Error(`no Tobira data in ${config.dataDir ?? '(none)'} (give --data-dir or --database-url)`);
  }
  const db = config.databaseUrl ? await PostgresDatabase.open(config.databaseUrl) : SqliteDatabase.open(config.dataDir);
  try {
    const store = new Store(db, config.masterKey ? masterKeySealer(config.masterKey) : clearSealer);
    await store.prepareSecrets();
    const only = flagString(args, 'pool');
    const pools = only ? [await store.pools.get(only)] : await store.pools.all();
    if (only && !pools[0]) throw new Error(`User pool ${only} does not exist.`);
    for (const pool of pools) {
      const kids = await rotatePoolKeys({ store, clock: systemClock, config }, pool!.id);
      out(`${pool!.id}  id token key ${kids.id}  access token key ${kids.access}`);
    }
    if (pools.length === 0) out('no user pools');
  } finally {
    await db.close();
  }
}
