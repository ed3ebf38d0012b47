import { randomBytes } from 'node:crypto';
import type { Database, Param, Sql } from '../store/db.ts';
import type { Sealer } from '../store/sealing.ts';
import { IDENTITY_POOL_TABLES, USER_POOL_TABLES, isSealed, type CopiedTable, type Row } from './tables.ts';
import { OMITTED } from './export.ts';
import { ConfigError } from './schema.ts';

export interface ImportResult {
  userPools: string[];
  identityPools: string[];
  rows: number;
  /** Clients given a new secret because the export omitted theirs. */
  newSecrets: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const COLUMN = /^[a-z_]+$/;

/**
 * Loads what `tobira export` wrote into this store, in one transaction: every entry's
 * `stored.rows` written back as they were, so ids, subs, password hashes, SRP verifiers, MFA
 * secrets, devices and dates are kept. Secrets exported sealed stay sealed (this server needs the
 * exporting one's master key); exported in clear, they are sealed under this store's master key,
 * if it has one; omitted client secrets are drawn anew. A pool that already exists here is
 * refused unless `replace`, which deletes it first (and all it holds).
 */
export async function importState(db: Database, sealer: Sealer, doc: unknown, opts: { replace?: boolean } = {}): Promise<ImportResult> {
  if (!isObj(doc) || doc.tobiraExport !== 1) {
    throw new ConfigError('not a file written by tobira export (no "tobiraExport": 1); a config is applied with tobira start --config');
  }
  const result: ImportResult = { userPools: [], identityPools: [], rows: 0, newSecrets: [] };
  const pools = entries(doc.userPools, 'userPools', 'Id');
  const identityPools = entries(doc.identityPools, 'identityPools', 'IdentityPoolId');
  await db.transaction(async (sql) => {
    for (const { id, rows, at } of pools) {
      await clear(sql, 'user_pools', id, at, opts.replace === true);
      result.rows += await write(sql, USER_POOL_TABLES, rows, sealer, at, result);
      result.userPools.push(id);
    }
    for (const { id, rows, at } of identityPools) {
      await clear(sql, 'identity_pools', id, at, opts.replace === true);
      result.rows += await write(sql, IDENTITY_POOL_TABLES, rows, sealer, at, result);
      result.identityPools.push(id);
    }
  });
  return result;
}

function entries(list: unknown, name: string, idKey: string): { id: string; rows: Record<string, Row[]>; at: string }[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new ConfigError(`${name} must be a list`);
  return list.map((e, i) => {
    const at = `${name}[${i}]${isObj(e) && typeof e[idKey] === 'string' ? ` (${e[idKey]})` : ''}`;
    if (!isObj(e) || typeof e[idKey] !== 'string') throw new ConfigError(`${at} needs "${idKey}"`);
    if (!isObj(e.stored) || !isObj(e.stored.rows)) throw new ConfigError(`${at} has no stored rows: it was not written by tobira export (apply a config with tobira start --config)`);
    return { id: e[idKey] as string, rows: e.stored.rows as Record<string, Row[]>, at };
  });
}

/** A pool already here: refused, or deleted with everything it holds (ON DELETE CASCADE). */
async function clear(sql: Sql, table: 'user_pools' | 'identity_pools', id: string, at: string, replace: boolean): Promise<void> {
  if (!(await sql.get(`SELECT id FROM ${table} WHERE id = ?`, [id]))) return;
  if (!replace) throw new ConfigError(`${at}: ${table === 'user_pools' ? 'user pool' : 'identity pool'} ${id} already exists in this store (give --replace to overwrite it)`);
  if (table === 'user_pools') await sql.run('DELETE FROM user_pool_domains WHERE pool_id = ?', [id]);
  await sql.run(`DELETE FROM ${table} WHERE id = ?`, [id]);
}

async function write(sql: Sql, tables: CopiedTable[], rows: Record<string, Row[]>, sealer: Sealer, at: string, result: ImportResult): Promise<number> {
  const known = new Set(tables.map((t) => t.table));
  for (const name of Object.keys(rows)) if (!known.has(name)) throw new ConfigError(`${at}: unknown table "${name}" in stored.rows`);
  let n = 0;
  for (const t of tables) {
    for (const [i, given] of (rows[t.table] ?? []).entries()) {
      if (!isObj(given)) throw new ConfigError(`${at}: stored.rows.${t.table}[${i}] is not a row`);
      const row: Row = { ...given };
      for (const [c, draw] of Object.entries(t.fresh ?? {})) row[c] = draw(row);
      for (const c of t.sealed ?? []) {
        const v = row[c.column];
        if (v === null || v === undefined || isSealed(v)) continue;
        let plain = String(v);
        if (t.table === 'user_pool_clients' && plain === OMITTED) {
          plain = newSecret();
          result.newSecrets.push(String(row.client_id));
        }
        row[c.column] = sealer.seal(plain, c.row(row));
      }
      const columns = Object.keys(row);
      const bad = columns.find((c) => !COLUMN.test(c));
      if (bad) throw new ConfigError(`${at}: stored.rows.${t.table}[${i}] has an invalid column name "${bad}"`);
      try {
        await sql.run(`INSERT INTO ${t.table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, columns.map((c) => row[c] as Param));
      } catch (err) {
        throw new ConfigError(`${at}: stored.rows.${t.table}[${i}] cannot be written: ${(err as Error).message}`, { cause: err });
      }
      n++;
    }
  }
  return n;
}

/** 51 lower-case letters and digits, as Cognito's client secrets (domain/pools/app-clients.ts). */
function newSecret(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < 51) for (const b of randomBytes(64)) if (b < 252 && out.length < 51) out += alphabet[b % 36];
  return out;
}
