import type { Sql } from '../db.ts';
import type { User } from '../../domain/types.ts';

/** Attributes ListUsers can filter on besides username, sub and status (Cognito's list). */
export const INDEXED_ATTRIBUTES = ['email', 'phone_number', 'name', 'given_name', 'family_name', 'preferred_username'] as const;

interface Row {
  pool_id: string;
  username_key: string;
  username: string;
  sub: string;
  status: string;
  enabled: number;
  attributes: string;
  password_hash: string | null;
  srp_salt: string | null;
  srp_verifier: string | null;
  password_changed_at: number | null;
  temp_password_expires_at: number | null;
  failed_attempts: number;
  last_failed_at: number | null;
  locked_until: number | null;
  tokens_revoked_before: number | null;
  data: string;
  created_at: number;
  updated_at: number;
}

const num = (v: number | null) => (v === null || v === undefined ? null : Number(v));

const fromRow = (r: Row): User => ({
  poolId: r.pool_id,
  usernameKey: r.username_key,
  username: r.username,
  sub: r.sub,
  status: r.status as User['status'],
  enabled: Number(r.enabled) === 1,
  attributes: JSON.parse(r.attributes),
  passwordHash: r.password_hash,
  srpSalt: r.srp_salt,
  srpVerifier: r.srp_verifier,
  passwordChangedAt: num(r.password_changed_at),
  tempPasswordExpiresAt: num(r.temp_password_expires_at),
  failedAttempts: Number(r.failed_attempts),
  lastFailedAt: num(r.last_failed_at),
  lockedUntil: num(r.locked_until),
  tokensRevokedBefore: num(r.tokens_revoked_before),
  data: JSON.parse(r.data),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** A ListUsers condition: one column or indexed attribute, equal to or starting with a value. */
export interface UserFilter {
  field: 'username' | 'sub' | 'status' | 'enabled' | (typeof INDEXED_ATTRIBUTES)[number];
  op: '=' | '^=';
  value: string;
}

// Upper bound for a prefix range scan: every string starting with p sorts below p + U+FFFF.
const prefixEnd = (p: string) => `${p}\uffff`;

export class UserRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, usernameKey: string): Promise<User | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM users WHERE pool_id = ? AND username_key = ?', [poolId, usernameKey]);
    return row && fromRow(row);
  }

  async getBySub(poolId: string, sub: string): Promise<User | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM users WHERE pool_id = ? AND sub = ?', [poolId, sub]);
    return row && fromRow(row);
  }

  /** The user holding an alias key such as `email:alice@example.com`. */
  async getByAlias(poolId: string, aliasKey: string): Promise<User | undefined> {
    const row = await this.sql.get<Row>(
      'SELECT u.* FROM user_aliases a JOIN users u ON u.pool_id = a.pool_id AND u.username_key = a.username_key WHERE a.pool_id = ? AND a.alias_key = ?',
      [poolId, aliasKey],
    );
    return row && fromRow(row);
  }

  async insert(u: User): Promise<void> {
    await this.sql.run(
      `INSERT INTO users (pool_id, username_key, username, sub, status, enabled, attributes, password_hash, srp_salt,
        srp_verifier, password_changed_at, temp_password_expires_at, failed_attempts, last_failed_at, locked_until,
        tokens_revoked_before, data, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        u.poolId, u.usernameKey, u.username, u.sub, u.status, u.enabled ? 1 : 0, JSON.stringify(u.attributes),
        u.passwordHash, u.srpSalt, u.srpVerifier, u.passwordChangedAt, u.tempPasswordExpiresAt, u.failedAttempts,
        u.lastFailedAt, u.lockedUntil, u.tokensRevokedBefore, JSON.stringify(u.data), u.createdAt, u.updatedAt,
      ],
    );
    await this.reindex(u);
  }

  /** Writes every field of the user back, and its filter index. */
  async update(u: User): Promise<void> {
    await this.sql.run(
      `UPDATE users SET username = ?, status = ?, enabled = ?, attributes = ?, password_hash = ?, srp_salt = ?,
        srp_verifier = ?, password_changed_at = ?, temp_password_expires_at = ?, failed_attempts = ?, last_failed_at = ?,
        locked_until = ?, tokens_revoked_before = ?, data = ?, updated_at = ?
       WHERE pool_id = ? AND username_key = ?`,
      [
        u.username, u.status, u.enabled ? 1 : 0, JSON.stringify(u.attributes), u.passwordHash, u.srpSalt,
        u.srpVerifier, u.passwordChangedAt, u.tempPasswordExpiresAt, u.failedAttempts, u.lastFailedAt,
        u.lockedUntil, u.tokensRevokedBefore, JSON.stringify(u.data), u.updatedAt, u.poolId, u.usernameKey,
      ],
    );
    await this.reindex(u);
  }

  /**
   * Counts one failed sign-in atomically, in the statement itself, so concurrent attempts
   * cannot read the same count. Returns the new count.
   */
  async recordFailure(poolId: string, usernameKey: string, now: number, resetBefore: number): Promise<number> {
    await this.sql.run(
      `UPDATE users SET failed_attempts = CASE WHEN last_failed_at IS NULL OR last_failed_at < ? THEN 1 ELSE failed_attempts + 1 END,
        last_failed_at = ? WHERE pool_id = ? AND username_key = ?`,
      [resetBefore, now, poolId, usernameKey],
    );
    const r = await this.sql.get<{ n: number }>('SELECT failed_attempts AS n FROM users WHERE pool_id = ? AND username_key = ?', [
      poolId,
      usernameKey,
    ]);
    return Number(r?.n ?? 0);
  }

  async delete(poolId: string, usernameKey: string): Promise<void> {
    await this.sql.run('DELETE FROM users WHERE pool_id = ? AND username_key = ?', [poolId, usernameKey]);
  }

  async setAliases(poolId: string, usernameKey: string, aliasKeys: string[]): Promise<void> {
    await this.sql.run('DELETE FROM user_aliases WHERE pool_id = ? AND username_key = ?', [poolId, usernameKey]);
    for (const key of aliasKeys) {
      await this.sql.run('INSERT INTO user_aliases (pool_id, alias_key, username_key) VALUES (?, ?, ?)', [poolId, key, usernameKey]);
    }
  }

  async aliasesOf(poolId: string, usernameKey: string): Promise<string[]> {
    const rows = await this.sql.all<{ alias_key: string }>(
      'SELECT alias_key FROM user_aliases WHERE pool_id = ? AND username_key = ?',
      [poolId, usernameKey],
    );
    return rows.map((r) => r.alias_key);
  }

  private async reindex(u: User): Promise<void> {
    await this.sql.run('DELETE FROM user_attribute_index WHERE pool_id = ? AND username_key = ?', [u.poolId, u.usernameKey]);
    for (const name of INDEXED_ATTRIBUTES) {
      const value = u.attributes[name];
      if (value === undefined) continue;
      await this.sql.run('INSERT INTO user_attribute_index (pool_id, name, value, username_key) VALUES (?, ?, ?, ?)', [
        u.poolId,
        name,
        value,
        u.usernameKey,
      ]);
    }
  }

  /** One page of users in username_key order after `after`, optionally filtered. */
  async list(poolId: string, filter: UserFilter | null, after: string | null, limit: number): Promise<User[]> {
    const start = after ?? '';
    if (!filter) {
      return (
        await this.sql.all<Row>('SELECT * FROM users WHERE pool_id = ? AND username_key > ? ORDER BY username_key LIMIT ?', [
          poolId,
          start,
          limit,
        ])
      ).map(fromRow);
    }
    const { field, op, value } = filter;
    const column = { username: 'username', sub: 'sub', status: 'status', enabled: 'enabled' }[field as string];
    let rows: Row[];
    if (column) {
      const cond = op === '=' ? `${column} = ?` : `${column} >= ? AND ${column} < ?`;
      const params = op === '=' ? [value] : [value, prefixEnd(value)];
      rows = await this.sql.all<Row>(
        `SELECT * FROM users WHERE pool_id = ? AND ${cond} AND username_key > ? ORDER BY username_key LIMIT ?`,
        [poolId, ...params, start, limit],
      );
    } else {
      const cond = op === '=' ? 'i.value = ?' : 'i.value >= ? AND i.value < ?';
      const params = op === '=' ? [value] : [value, prefixEnd(value)];
      rows = await this.sql.all<Row>(
        `SELECT u.* FROM user_attribute_index i JOIN users u ON u.pool_id = i.pool_id AND u.username_key = i.username_key
         WHERE i.pool_id = ? AND i.name = ? AND ${cond} AND i.username_key > ? ORDER BY i.username_key LIMIT ?`,
        [poolId, field, ...params, start, limit],
      );
    }
    return rows.map(fromRow);
  }
}
