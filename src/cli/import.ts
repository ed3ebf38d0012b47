import { readFileSync } from 'node:fs';
import { sealerFor } from '../store/sealing.ts';
import { SqliteDatabase } from '../store/sqlite.ts';
import { importState } from '../declarative/import.ts';
import { safeJsonParse } from '../declarative/json.ts';
import type { ParsedArgs } from './args.ts';
import { storeConfig } from './export.ts';

/** `tobira import state.json [--replace]`: prints what it loaded (never a secret). */
export async function importCommand(args: ParsedArgs, out: (line: string) => void = (l) => process.stdout.write(`${l}\n`)): Promise<void> {
  const file = args.positional[0];
  if (!file) throw new Error('usage: tobira import <file> [--replace] [--data-dir DIR | --database-url U]');
  const doc = safeJsonParse(readFileSync(file, 'utf8'));
  const config = storeConfig(args);
  // Unlike export, import may create the store: moving to a new machine starts from nothing.
  const db = config.databaseUrl ? await (await import('../store/postgres.ts')).PostgresDatabase.open(config.databaseUrl) : SqliteDatabase.open(config.dataDir);
  try {
    const r = await importState(db, sealerFor(config.masterKey), doc, { replace: args.flags.replace === true });
    for (const id of r.userPools) out(`imported user pool ${id}`);
    for (const id of r.identityPools) out(`imported identity pool ${id}`);
    for (const id of r.newSecrets) out(`client ${id} has a new secret (the export omitted it)`);
    out(`${r.rows} rows imported`);
  } finally {
    await db.close();
  }
}
