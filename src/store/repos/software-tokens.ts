import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';

/** A user's TOTP authenticator: the verified secret, and one associated but not yet verified. */
export interface SoftwareToken {
  poolId: string;
  usernameKey: string;
  /** The verified secret (base32), or null before the first VerifySoftwareToken. */
  secret: string | null;
  friendlyName: string | null;
  /** The last TOTP step whose code was accepted; codes of this step and earlier are refused. */
  lastStep: number | null;
  verifiedAt: number | null;
  /** From AssociateSoftwareToken until VerifySoftwareToken makes it the secret. */
  pendingSecret: string | null;
  pendingAt: number | null;
}

interface Row {
  pool_id: string;
  username_key: string;
  secret: string | null;
  friendly_name: string | null;
  last_step: number | null;
  verified_at: number | null;
  pending_secret: string | null;
  pending_at: number | null;
}

/** What a sealed secret is bound to (the pending one is bound to its own name). */
export const sealedRow = (poolId: string, usernameKey: string) => `software_tokens/${poolId}/${usernameKey}`;
export const sealedPendingRow = (poolId: string, usernameKey: string) => `software_tokens/${poolId}/${usernameKey}/pending`;

const num = (v: number | null) => (v === null || v === undefined ? null : Number(v));

/** TOTP secrets (software_tokens), sealed at rest like the store's other secrets. */
export class SoftwareTokenRepo {
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
  ) {}

  async get(poolId: string, usernameKey: string): Promise<SoftwareToken | undefined> {
    const r = await this.sql.get<Row>('SELECT * FROM software_tokens WHERE pool_id = ? AND username_key = ?', [poolId, usernameKey]);
    if (!r) return undefined;
    return {
      poolId: r.pool_id,
      usernameKey: r.username_key,
      secret: r.secret === null ? null : this.sealer.open(r.secret, sealedRow(r.pool_id, r.username_key)),
      friendlyName: r.friendly_name,
      lastStep: num(r.last_step),
      verifiedAt: num(r.verified_at),
      pendingSecret: r.pending_secret === null ? null : this.sealer.open(r.pending_secret, sealedPendingRow(r.pool_id, r.username_key)),
      pendingAt: num(r.pending_at),
    };
  }

  /** AssociateSoftwareToken: a new pending secret, replacing an earlier pending one; the verified one stays. */
  async associate(poolId: string, usernameKey: string, secret: string, now: number): Promise<void> {
    const sealed = this.sealer.seal(secret, sealedPendingRow(poolId, usernameKey));
    await this.sql.run(
      `INSERT INTO software_tokens (pool_id, username_key, pending_secret, pending_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (pool_id, username_key) DO UPDATE SET pending_secret = excluded.pending_secret, pending_at = excluded.pending_at`,
      [poolId, usernameKey, sealed, now],
    );
  }

  /**
   * VerifySoftwareToken: the pending secret becomes the secret, its code's step the last used.
   * Conditional on the pending secret being the one checked, so a concurrent re-association wins
   * over a stale verification. Returns false when it changed meanwhile.
   */
  async promote(poolId: string, usernameKey: string, checkedPendingAt: number, step: number, friendlyName: string | null, now: number, secret: string): Promise<boolean> {
    const r = await this.sql.run(
      `UPDATE software_tokens SET secret = ?, friendly_name = ?, last_step = ?, verified_at = ?, pending_secret = NULL, pending_at = NULL
       WHERE pool_id = ? AND username_key = ? AND pending_at = ?`,
      [this.sealer.seal(secret, sealedRow(poolId, usernameKey)), friendlyName, step, now, poolId, usernameKey, checkedPendingAt],
    );
    return r.changes === 1;
  }

  /**
   * Records that the code of `step` was used: one conditional statement, so of two requests
   * carrying the same code (or an older one) only the first succeeds, on every node.
   */
  async useStep(poolId: string, usernameKey: string, step: number): Promise<boolean> {
    const r = await this.sql.run(
      `UPDATE software_tokens SET last_step = ? WHERE pool_id = ? AND username_key = ? AND secret IS NOT NULL
       AND (last_step IS NULL OR last_step < ?)`,
      [step, poolId, usernameKey, step],
    );
    return r.changes === 1;
  }
}
