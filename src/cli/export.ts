import { writeFileSync } from 'node:fs';
import { defaultConfig, readMasterKeyFile } from '../config.ts';
import { sealerFor } from '../store/sealing.ts';
import { exportState, type SecretsMode } from '../declarative/export.ts';
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
