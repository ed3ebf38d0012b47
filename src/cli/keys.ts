import { systemClock } from '../clock.ts';
import { defaultConfig, readMasterKeyFile } from '../config.ts';
import { rotatePoolKeys } from '../domain/tokens/keys.ts';
import { rotateOpenIdKey } from '../domain/identity/open-id-tokens.ts';
import { Store } from '../store/store.ts';
import { sealerFor } from '../store/sealing.ts';
import { flagString, type ParsedArgs } from './args.ts';
import { openStoredData } from './data.ts';

export const KEYS_USAGE = `  keys rotate  New signing keys for token signing; the previous ones stay in the JWKS for a day,
             until the last token they signed has expired. Safe while the server runs.
             --pool <ID>         only this user pool (default: every pool, and the identity
                                 pools' OpenID token key)
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
  const db = await openStoredData(config, 'give --data-dir or --database-url');
  try {
    const store = new Store(db, sealerFor(config.masterKey));
    await store.prepareSecrets();
    const only = flagString(args, 'pool');
    const pools = only ? [await store.pools.get(only)] : await store.pools.all();
    if (only && !pools[0]) throw new Error(`User pool ${only} does not exist.`);
    for (const pool of pools) {
      const kids = await rotatePoolKeys({ store, clock: systemClock, config }, pool!.id);
      out(`${pool!.id}  id token key ${kids.id}  access token key ${kids.access}`);
    }
    if (pools.length === 0) out('no user pools');
    // Without --pool, the identity service's OpenID token key too, once it has one.
    if (!only && (await store.identityKeys.current())) out(`cognito-identity  OpenID token key ${await rotateOpenIdKey({ store, clock: systemClock })}`);
  } finally {
    await db.close();
  }
}
