import type { Sql } from '../db.ts';

/** A verification code as stored: its hash, never the code. One per user and purpose. */
export interface StoredCode {
  poolId: string;
  usernameKey: string;
  /** 'sign-up', 'forgot-password', 'verify:email', 'verify:phone_number' ... */
  purpose: string;
  codeHash: string;
  /** What redeeming the code acts on (e.g. the attribute value it was sent to). */
  data: Record<string, unknown>;
  attempts: number;
  createdAt: number;
  expiresAt: number;
}

interface Row {
  pool_id: string;
  username_key: string;
  purpose: string;
  code_hash: string;
  data: string;
  attempts: number;
  created_at: number;
  expires_at: number;
}

const fromRow = (r: Row): StoredCode => ({
  poolId: r.pool_id,
  usernameKey: r.username_key,
  purpose: r.purpose,
  codeHash: r.code_hash,
  data: JSON.parse(r.data),
  attempts: Number(r.attempts),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

export class CodeRepo {
  constructor(private readonly sql: Sql) {}

  /** Stores a code, replacing the user's previous one for the same purpose (a new code voids the old). */
  async put(c: StoredCode): Promise<void> {
    await this.sql.run(
      `INSERT INTO verification_codes (pool_id, username_key, purpose, code_hash, data, attempts, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pool_id, username_key, purpose) DO UPDATE SET code_hash = excluded.code_hash, data = excluded.data,
         attempts = excluded.attempts, created_at = excluded.created_at, expires_at = excluded.expires_at`,
      [c.poolId, c.usernameKey, c.purpose, c.codeHash, JSON.stringify(c.data), c.attempts, c.createdAt, c.expiresAt],
    );
  }

  async get(poolId: string, usernameKey: string, purpose: string): Promise<StoredCode | undefined> {
    const row = await this.sql.get<Row>(
      'SELECT * FROM verification_codes WHERE pool_id = ? AND username_key = ? AND purpose = ?',
      [poolId, usernameKey, purpose],
    );
    return row && fromRow(row);
  }

  /** Counts one wrong entry, in the statement itself; returns the new count (none: no code). */
  async recordFailure(poolId: string, usernameKey: string, purpose: string): Promise<number | undefined> {
    const r = await this.sql.get<{ attempts: number }>(
      'UPDATE verification_codes SET attempts = attempts + 1 WHERE pool_id = ? AND username_key = ? AND purpose = ? RETURNING attempts',
      [poolId, usernameKey, purpose],
    );
    return r ? Number(r.attempts) : undefined;
  }

  /**
   * Removes a code, only while it has had fewer than `maxAttempts` wrong entries when given;
   * returns whether it was removed (false when a concurrent redemption or wrong entry won).
   */
  async delete(poolId: string, usernameKey: string, purpose: string, maxAttempts?: number): Promise<boolean> {
    const capped = maxAttempts === undefined ? '' : ' AND attempts < ?';
    const r = await this.sql.run(`DELETE FROM verification_codes WHERE pool_id = ? AND username_key = ? AND purpose = ?${capped}`, [
      poolId,
      usernameKey,
      purpose,
      ...(maxAttempts === undefined ? [] : [maxAttempts]),
    ]);
    return r.changes > 0;
  }

  /** Removes every code of a user whose purpose starts with a prefix (e.g. 'verify:'). */
  async deleteByPrefix(poolId: string, usernameKey: string, prefix: string): Promise<void> {
    await this.sql.run(
      'DELETE FROM verification_codes WHERE pool_id = ? AND username_key = ? AND purpose >= ? AND purpose < ?',
      [poolId, usernameKey, prefix, `${prefix}\uffff`],
    );
  }

  /**
   * Drops up to `limit` codes that expired at or before `now`. A missing code gets the same
   * answer as an expired one (ExpiredCodeException), so nobody can tell the difference.
   */
  async purgeExpired(now: number, limit = 1000): Promise<number> {
    const r = await this.sql.run(
      `DELETE FROM verification_codes WHERE (pool_id, username_key, purpose) IN
         (SELECT pool_id, username_key, purpose FROM verification_codes WHERE expires_at <= ? LIMIT ?)`,
      [now, limit],
    );
    return r.changes;
  }
}
