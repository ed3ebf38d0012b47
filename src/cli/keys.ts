import { systemClock } from '../clock.ts';
import { defaultConfig, readMasterKeyFile } from '../config.ts';
import { rotatePoolKeys } from '../domain/tokens/keys.ts';
import { rotateOpenIdKey } from '../domain/identity/open-id-tokens.ts';
import { Store } from '../store/store.ts';
import { sealerFor } from '../store/sealing.ts';
import { flagString, type ParsedArgs } from './args.ts';
import { openStoredData } from './data.ts';
import { commandHelp } from './flags.ts';

/** This command's flags, from their one declaration (flags.ts). */
export const KEYS_USAGE = commandHelp('keys');

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
