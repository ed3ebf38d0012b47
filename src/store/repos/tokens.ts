import type { Sql } from '../db.ts';
import type { User } from '../../domain/types.ts';
import { USER_COLUMNS_READ, fromRow as userFromRow, type UserRow } from './users.ts';
import { currentKidsColumns, kidsOf, type KeyUse } from './keys.ts';

/** What a refresh token carries besides its keys (JSON in refresh_tokens.data). */
export interface RefreshTokenData {
  /** The user's sub at issue: a user deleted and re-created under the same name is another user. */
  sub: string;
  /** The original sign-in time (ms); refreshed tokens keep it as auth_time. */
  authTime: number;
  deviceKey?: string;
  /** Tokens from the OAuth endpoints: the scopes granted, which refreshed access tokens keep. */
  scope?: string;
  /** With refresh-token rotation: when it was exchanged for a new one (ms). */
  rotatedAt?: number;
}

/** A refresh token as stored: only its SHA-256 hash, never the token. */
export interface RefreshTokenRecord {
  tokenHash: string;
  poolId: string;
  clientId: string;
  usernameKey: string;
  originJti: string;
  data: RefreshTokenData;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

interface Row {
  token_hash: string;
  pool_id: string;
  client_id: string;
  username_key: string;
  origin_jti: string;
  data: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

const fromRow = (r: Row): RefreshTokenRecord => ({
  tokenHash: r.token_hash,
  poolId: r.pool_id,
  clientId: r.client_id,
  usernameKey: r.username_key,
  originJti: r.origin_jti,
  data: JSON.parse(r.data),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : Number(r.revoked_at),
});

/**
 * A refresh token's row, whether its sign-in (origin_jti) is revoked, the columns of its user (all
 * NULL when there is none), then the kids of the keys that sign its pool's ID and access tokens now
 * (repos/keys.ts): what redeeming it and issuing the new tokens read, in one statement.
 */
const FOR_REDEEM_SELECT = `SELECT r.token_hash, r.pool_id, r.client_id, r.username_key, r.origin_jti, r.data, r.created_at, r.expires_at, r.revoked_at,
  EXISTS (SELECT 1 FROM revoked_tokens v WHERE v.origin_jti = r.origin_jti), ${USER_COLUMNS_READ}, ${currentKidsColumns('r.pool_id')}
  FROM refresh_tokens r LEFT JOIN users u ON u.pool_id = r.pool_id AND u.username_key = r.username_key WHERE r.token_hash = ?`;
type ForRedeemRow = [
  token_hash: string,
  pool_id: string,
  client_id: string,
  username_key: string,
  origin_jti: string,
  data: string,
  created_at: number,
  expires_at: number,
  revoked_at: number | null,
  revoked: number | boolean,
  ...user: UserRow,
  idKid: string | null,
  accessKid: string | null,
];

/** Refresh tokens (refresh_tokens) and revoked sign-in sessions by origin_jti (revoked_tokens). */
export class TokenRepo {
  /** `shared`: a store outside a transaction (getForRedeem reads there only). */
  constructor(
    private readonly sql: Sql,
    private readonly shared = false,
  ) {}

  async insertRefresh(t: RefreshTokenRecord): Promise<void> {
    await this.sql.run(
      `INSERT INTO refresh_tokens (token_hash, pool_id, client_id, username_key, origin_jti, data, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [t.tokenHash, t.poolId, t.clientId, t.usernameKey, t.originJti, JSON.stringify(t.data), t.createdAt, t.expiresAt, t.revokedAt],
    );
  }

  async getRefresh(tokenHash: string): Promise<RefreshTokenRecord | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM refresh_tokens WHERE token_hash = ?', [tokenHash]);
    return row && fromRow(row);
  }

  /**
   * What redeeming a refresh token reads (domain/tokens/refresh-tokens.ts): the token, the user
   * it was issued to (by pool and username key), whether its sign-in is revoked, and which keys
   * sign its pool's tokens now, in one statement: one round trip instead of four. Outside a
   * transaction only: a transaction's user reads lock the row (repos/users.ts), which this read
   * does not.
   */
  async getForRedeem(
    tokenHash: string,
  ): Promise<{ record: RefreshTokenRecord; user: User | undefined; originRevoked: boolean; currentKids: Partial<Record<KeyUse, string>> } | undefined> {
    if (!this.shared) throw new Error('TokenRepo.getForRedeem reads outside a transaction');
    const [row] = await this.sql.rows<ForRedeemRow>(FOR_REDEEM_SELECT, [tokenHash]);
    if (!row) return undefined;
    const [token_hash, pool_id, client_id, username_key, origin_jti, data, created_at, expires_at, revoked_at, revoked] = row;
    const record = fromRow({ token_hash, pool_id, client_id, username_key, origin_jti, data, created_at, expires_at, revoked_at });
    // The token's 10 columns, then the user's 18; its username (never NULL in a stored user) is NULL when the LEFT JOIN found none.
    const user = row[11] === null ? undefined : userFromRow(pool_id, row.slice(10, 28) as UserRow);
    const [idKid, accessKid] = row.slice(28, 30) as [string | null, string | null];
    // EXISTS gives 1 or 0 on SQLite, a boolean on PostgreSQL.
    return { record, user, originRevoked: revoked === true || revoked === 1, currentKids: kidsOf(idKid, accessKid) };
  }

  async updateRefreshData(tokenHash: string, data: RefreshTokenData): Promise<void> {
    await this.sql.run('UPDATE refresh_tokens SET data = ? WHERE token_hash = ?', [JSON.stringify(data), tokenHash]);
  }

  /** Revokes every refresh token of one sign-in (origin_jti); returns how many were live. */
  async revokeRefreshByOrigin(originJti: string, now: number): Promise<number> {
    const r = await this.sql.run('UPDATE refresh_tokens SET revoked_at = ? WHERE origin_jti = ? AND revoked_at IS NULL', [
      now,
      originJti,
    ]);
    return r.changes;
  }

  /** The origin_jti of every unrevoked, unexpired refresh token of a user. */
  async liveOriginsOfUser(poolId: string, usernameKey: string, now: number): Promise<string[]> {
    const rows = await this.sql.all<{ origin_jti: string }>(
      `SELECT DISTINCT origin_jti FROM refresh_tokens
       WHERE pool_id = ? AND username_key = ? AND revoked_at IS NULL AND expires_at > ?`,
      [poolId, usernameKey, now],
    );
    return rows.map((r) => r.origin_jti);
  }

  async revokeRefreshOfUser(poolId: string, usernameKey: string, now: number): Promise<number> {
    const r = await this.sql.run(
      'UPDATE refresh_tokens SET revoked_at = ? WHERE pool_id = ? AND username_key = ? AND revoked_at IS NULL',
      [now, poolId, usernameKey],
    );
    return r.changes;
  }

  /** Marks a sign-in's ID and access tokens revoked until `expiresAt` (after which they have expired anyway). */
  async revokeOrigin(originJti: string, poolId: string, now: number, expiresAt: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO revoked_tokens (origin_jti, pool_id, revoked_at, expires_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (origin_jti) DO UPDATE SET expires_at =
         CASE WHEN excluded.expires_at > revoked_tokens.expires_at THEN excluded.expires_at ELSE revoked_tokens.expires_at END`,
      [originJti, poolId, now, expiresAt],
    );
  }

  async isOriginRevoked(originJti: string): Promise<boolean> {
    const r = await this.sql.get<{ one: number }>('SELECT 1 AS one FROM revoked_tokens WHERE origin_jti = ?', [originJti]);
    return r !== undefined;
  }

  /**
   * Drops up to `limit` refresh tokens and up to `limit` revocation marks that expired at or
   * before `now` (a revocation mark lives as long as the tokens it stops). Returns how many.
   */
  async purgeExpired(now: number, limit = 1000): Promise<number> {
    const a = await this.sql.run(
      'DELETE FROM refresh_tokens WHERE token_hash IN (SELECT token_hash FROM refresh_tokens WHERE expires_at <= ? LIMIT ?)',
      [now, limit],
    );
    const b = await this.sql.run(
      'DELETE FROM revoked_tokens WHERE origin_jti IN (SELECT origin_jti FROM revoked_tokens WHERE expires_at <= ? LIMIT ?)',
      [now, limit],
    );
    return a.changes + b.changes;
  }
}
