import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';

export type KeyUse = 'id' | 'access';

/** One RS256 signing key of a pool, as stored in signing_keys. */
export interface SigningKeyRecord {
  kid: string;
  poolId: string;
  tokenUse: KeyUse;
  /** The private key as JWK JSON; sealed under the master key at rest when there is one (store/sealing.ts). */
  privateJwk: string;
  /** The public key as JWK JSON ({kty, n, e}). */
  publicJwk: string;
  createdAt: number;
  /** When a rotation replaced it; null while it signs. */
  retiredAt: number | null;
  /** When it leaves the JWKS (the last token it signed has expired); null while current. */
  expiresAt: number | null;
}

interface Row {
  kid: string;
  pool_id: string;
  token_use: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

const num = (v: number | null) => (v === null || v === undefined ? null : Number(v));

/**
 * The private key is opened only when read: verifying a token needs the public key alone, and a
 * signer whose KeyObject is already imported (domain/tokens/keys.ts) only the kid.
 */
const fromRow = (r: Row, sealer: Sealer): SigningKeyRecord => {
  let opened: string | undefined;
  return {
    kid: r.kid,
    poolId: r.pool_id,
    tokenUse: r.token_use as KeyUse,
    get privateJwk() {
      opened ??= sealer.open(r.private_jwk, sealedRow(r.kid));
      return opened;
    },
    publicJwk: r.public_jwk,
    createdAt: Number(r.created_at),
    retiredAt: num(r.retired_at),
    expiresAt: num(r.expires_at),
  };
};

/** What a sealed private key is bound to. */
export const sealedRow = (kid: string) => `signing_keys/${kid}`;

/**
 * The kids of the keys that sign a pool's ID and access tokens now, as two columns: for each use
 * the newest key not retired (on signing_keys_by_pool). `pool`: the SQL of the pool's id, a
 * placeholder or a column of the enclosing statement (repos/tokens.ts reads them with a refresh
 * token). Read them with kidsOf.
 */
export const currentKidsColumns = (pool: string): string =>
  (['id', 'access'] as const)
    .map((use) => `(SELECT k.kid FROM signing_keys k WHERE k.pool_id = ${pool} AND k.token_use = '${use}' AND k.retired_at IS NULL ORDER BY k.created_at DESC, k.kid DESC LIMIT 1)`)
    .join(', ');

/** The two columns of currentKidsColumns as currentKids answers them: a use without a key left out. */
export function kidsOf(id: string | null, access: string | null): Partial<Record<KeyUse, string>> {
  const out: Partial<Record<KeyUse, string>> = {};
  if (id !== null) out.id = id;
  if (access !== null) out.access = access;
  return out;
}

export class KeyRepo {
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
  ) {}

  /**
   * The kids of the keys that sign a pool's ID and access tokens now (for each use the newest
   * not retired), in one read: what every issuing of tokens needs before it signs.
   */
  async currentKids(poolId: string): Promise<Partial<Record<KeyUse, string>>> {
    const [[id, access]] = await this.sql.rows<[string | null, string | null]>(`SELECT ${currentKidsColumns('?')}`, [poolId, poolId]);
    return kidsOf(id, access);
  }

  async get(kid: string): Promise<SigningKeyRecord | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM signing_keys WHERE kid = ?', [kid]);
    return row && fromRow(row, this.sealer);
  }

  /** The keys a pool's JWKS lists at `now`: every key whose tokens may still be alive, oldest first. */
  async published(poolId: string, now: number): Promise<SigningKeyRecord[]> {
    const rows = await this.sql.all<Row>(
      `SELECT * FROM signing_keys WHERE pool_id = ? AND (expires_at IS NULL OR expires_at > ?)
       ORDER BY created_at, token_use, kid`,
      [poolId, now],
    );
    return rows.map((r) => fromRow(r, this.sealer));
  }

  async insert(k: SigningKeyRecord): Promise<void> {
    await this.sql.run(
      // A kid is the key's thumbprint: the same kid is the same key. Concurrent first uses in one
      // process insert one shared key pair (domain/tokens/keys.ts); on PostgreSQL the later insert would
      // otherwise fail on the key instead of finding it, as it does under SQLite's single writer.
      `INSERT INTO signing_keys (kid, pool_id, token_use, private_jwk, public_jwk, created_at, retired_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING`,
      [k.kid, k.poolId, k.tokenUse, this.sealer.seal(k.privateJwk, sealedRow(k.kid)), k.publicJwk, k.createdAt, k.retiredAt, k.expiresAt],
    );
  }

  /** Retires every current key of a pool; they stay published until expiresAt. */
  async retireCurrent(poolId: string, now: number, expiresAt: number): Promise<number> {
    const r = await this.sql.run(
      'UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE pool_id = ? AND retired_at IS NULL',
      [now, expiresAt, poolId],
    );
    return r.changes;
  }

  /** Forgets keys that left the JWKS before `before`. */
  async deleteExpired(poolId: string, before: number): Promise<number> {
    const r = await this.sql.run('DELETE FROM signing_keys WHERE pool_id = ? AND expires_at IS NOT NULL AND expires_at <= ?', [
      poolId,
      before,
    ]);
    return r.changes;
  }

  /** Forgets up to `limit` keys, of any pool, that left the JWKS at or before `now`. */
  async purgeExpired(now: number, limit = 1000): Promise<number> {
    const r = await this.sql.run(
      'DELETE FROM signing_keys WHERE kid IN (SELECT kid FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT ?)',
      [now, limit],
    );
    return r.changes;
  }
}
