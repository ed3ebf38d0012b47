import type { Sql } from '../db.ts';
import { UniqueViolation } from '../db.ts';

/** A registered passkey: what CompleteWebAuthnRegistration verified and each assertion checks. */
export interface WebAuthnCredential {
  poolId: string;
  /** base64url of the raw credential id. */
  credentialId: string;
  usernameKey: string;
  /** base64url of the COSE public key. */
  publicKey: string;
  /** The signature counter of the last verified registration or assertion. */
  signCount: number;
  relyingPartyId: string;
  friendlyName: string;
  attachment: string | null;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

interface Row {
  pool_id: string;
  credential_id: string;
  username_key: string;
  public_key: string;
  sign_count: number;
  relying_party_id: string;
  friendly_name: string;
  attachment: string | null;
  transports: string;
  created_at: number;
  last_used_at: number | null;
}

const fromRow = (r: Row): WebAuthnCredential => ({
  poolId: r.pool_id,
  credentialId: r.credential_id,
  usernameKey: r.username_key,
  publicKey: r.public_key,
  signCount: Number(r.sign_count),
  relyingPartyId: r.relying_party_id,
  friendlyName: r.friendly_name,
  attachment: r.attachment ?? null,
  transports: JSON.parse(r.transports),
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at === null || r.last_used_at === undefined ? null : Number(r.last_used_at),
});

/** Passkeys (webauthn_credentials). They go with their user (FK cascade). */
export class WebAuthnCredentialRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, credentialId: string): Promise<WebAuthnCredential | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM webauthn_credentials WHERE pool_id = ? AND credential_id = ?', [poolId, credentialId]);
    return row && fromRow(row);
  }

  /** A user's passkeys in creation order, after the (createdAt, credentialId) cursor when given. */
  async ofUser(poolId: string, usernameKey: string, limit: number, after?: { createdAt: number; credentialId: string }): Promise<WebAuthnCredential[]> {
    const rows = after
      ? await this.sql.all<Row>(
          `SELECT * FROM webauthn_credentials WHERE pool_id = ? AND username_key = ?
             AND (created_at > ? OR (created_at = ? AND credential_id > ?)) ORDER BY created_at, credential_id LIMIT ?`,
          [poolId, usernameKey, after.createdAt, after.createdAt, after.credentialId, limit],
        )
      : await this.sql.all<Row>(
          'SELECT * FROM webauthn_credentials WHERE pool_id = ? AND username_key = ? ORDER BY created_at, credential_id LIMIT ?',
          [poolId, usernameKey, limit],
        );
    return rows.map(fromRow);
  }

  async countOfUser(poolId: string, usernameKey: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM webauthn_credentials WHERE pool_id = ? AND username_key = ?', [poolId, usernameKey]);
    return Number(r?.n ?? 0);
  }

  /** Inserts; a credential id already registered in the pool throws UniqueViolation. */
  async insert(c: WebAuthnCredential): Promise<void> {
    const r = await this.sql.run(
      `INSERT INTO webauthn_credentials (pool_id, credential_id, username_key, public_key, sign_count, relying_party_id,
         friendly_name, attachment, transports, created_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pool_id, credential_id) DO NOTHING`,
      [
        c.poolId,
        c.credentialId,
        c.usernameKey,
        c.publicKey,
        c.signCount,
        c.relyingPartyId,
        c.friendlyName,
        c.attachment,
        JSON.stringify(c.transports),
        c.createdAt,
        c.lastUsedAt,
      ],
    );
    if (r.changes === 0) throw new UniqueViolation('webauthn_credentials', c.credentialId);
  }

  /**
   * Records a verified assertion's counter, only if the stored one is still `expected` (a
   * concurrent assertion with the same counter loses); returns whether it was recorded.
   */
  async recordUse(poolId: string, credentialId: string, expected: number, signCount: number, now: number): Promise<boolean> {
    const r = await this.sql.run(
      'UPDATE webauthn_credentials SET sign_count = ?, last_used_at = ? WHERE pool_id = ? AND credential_id = ? AND sign_count = ?',
      [signCount, now, poolId, credentialId, expected],
    );
    return r.changes > 0;
  }

  /** Removes one of the user's passkeys; returns whether there was one. */
  async delete(poolId: string, usernameKey: string, credentialId: string): Promise<boolean> {
    const r = await this.sql.run('DELETE FROM webauthn_credentials WHERE pool_id = ? AND username_key = ? AND credential_id = ?', [
      poolId,
      usernameKey,
      credentialId,
    ]);
    return r.changes > 0;
  }
}
