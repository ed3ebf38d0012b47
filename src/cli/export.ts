import { writeFileSync } from 'node:fs';
import { defaultConfig, readMasterKeyFile } from '../config.ts';
import { sealerFor } from '../store/sealing.ts';
import { exportState, type SecretsMode } from '../declarative/export.ts';
import { flagString, type ParsedArgs } from './args.ts';
import { openStoredData } from './data.ts';

export const EXPORT_USAGE = `  export     Write the store's user pools and identity pools as JSON (the --config format, plus
             the stored rows, so that tobira import restores them exactly); safe while the server runs
             --pool <ID>         only this user pool
             --secrets <M>       sealed (default: as the store holds them), clear (opened: needs the
                                 master key) or omit (import draws new client secrets and keys)
             --out <F>           write to F instead of stdout
             --data-dir <DIR> | --database-url <U> | --master-key-file <F>  as for keys rotate
  import <F> Load a file tobira export wrote into this store, in one transaction
             --replace           overwrite pools that exist here (default: refuse)
             --data-dir <DIR> | --database-url <U> | --master-key-file <F>  (a new data directory is created)
  backup <DIR> Copy the SQLite store into DIR/tobira.sqlite, consistently, while the server runs
             --data-dir <DIR>    the store (env TOBIRA_DATA_DIR, default ./.tobira)
`;

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
  try {
    const doc = await exportState(db, sealerFor(config.masterKey), { poolId: flagString(args, 'pool'), secrets: mode as SecretsMode });
    const text = `${JSON.stringify(doc, null, 2)}\n`;
    const file = flagString(args, 'out');
    if (file) writeFileSync(file, text, { mode: 0o600 });
    else out(text);
  } finally {
    await db.close();
  }
}
