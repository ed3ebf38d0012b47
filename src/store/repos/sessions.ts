import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';

/** A sign-in in progress between challenges, stored under the SHA-256 of its Session string. */
export interface AuthSessionRecord {
  id: string;
  poolId: string;
  clientId: string;
  usernameKey: string | null;
  data: Record<string, unknown>;
  expiresAt: number;
  createdAt: number;
  consumedAt: number | null;
}

interface Row {
  id: string;
  pool_id: string;
  client_id: string;
  username_key: string | null;
  data: string;
  expires_at: number;
  created_at: number;
  consumed_at: number | null;
}

const fromRow = (r: Row): AuthSessionRecord => ({
  id: r.id,
  poolId: r.pool_id,
  clientId: r.client_id,
  usernameKey: r.username_key,
  data: JSON.parse(r.data),
  expiresAt: Number(r.expires_at),
  createdAt: Number(r.created_at),
  consumedAt: r.consumed_at === null || r.consumed_at === undefined ? null : Number(r.consumed_at),
});

/** What a sealed pool secret is bound to. */
export const sealedRow = (poolId: string, purpose: string) => `pool_secrets/${poolId}/${purpose}`;

/** Challenge sessions (auth_sessions) and per-pool secrets of the sign-in flows (pool_secrets). */
export class SessionRepo {
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
  ) {}

  async insert(s: AuthSessionRecord): Promise<void> {
    await this.sql.run(
      `INSERT INTO auth_sessions (id, pool_id, client_id, username_key, data, expires_at, created_at, consumed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [s.id, s.poolId, s.clientId, s.usernameKey, JSON.stringify(s.data), s.expiresAt, s.createdAt, s.consumedAt],
    );
  }

  async get(id: string): Promise<AuthSessionRecord | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM auth_sessions WHERE id = ?', [id]);
    return row && fromRow(row);
  }

  /**
   * Marks a live, unused session used. One conditional statement, so of several concurrent
   * redeemers exactly one sees true (on PostgreSQL too: the WHERE is re-checked under the row lock).
   */
  async consume(id: string, now: number): Promise<boolean> {
    const r = await this.sql.run('UPDATE auth_sessions SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ?', [
      now,
      id,
      now,
    ]);
    return r.changes === 1;
  }

  /** Drops sessions that expired before `before`; returns how many. */
  async prune(before: number): Promise<number> {
    return (await this.sql.run('DELETE FROM auth_sessions WHERE expires_at < ?', [before])).changes;
  }

  /**
   * The pool's secret for a purpose, created from `candidate` by whichever node asks first
   * (ON CONFLICT keeps the first one, so every node derives the same values from it).
   */
  async poolSecret(poolId: string, purpose: string, candidate: string, now: number): Promise<string> {
    await this.sql.run(
      'INSERT INTO pool_secrets (pool_id, purpose, secret, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (pool_id, purpose) DO NOTHING',
      [poolId, purpose, this.sealer.seal(candidate, sealedRow(poolId, purpose)), now],
    );
    const row = await this.sql.get<{ secret: string }>('SELECT secret FROM pool_secrets WHERE pool_id = ? AND purpose = ?', [
      poolId,
      purpose,
    ]);
    return row ? this.sealer.open(row.secret, sealedRow(poolId, purpose)) : candidate;
  }
}
