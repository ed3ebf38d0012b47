import type { Sql } from '../db.ts';

/**
 * A short-lived artefact of the hosted UI (authorization code, sign-in session), stored under the
 * SHA-256 of the value its holder has, never the value itself.
 */
export interface OAuthArtifact {
  /** 'federation': an authorization request parked while the browser is at an upstream IdP. */
  kind: 'code' | 'session' | 'federation';
  idHash: string;
  poolId: string;
  clientId: string | null;
  usernameKey: string | null;
  data: Record<string, unknown>;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

interface Row {
  kind: string;
  id_hash: string;
  pool_id: string;
  client_id: string | null;
  username_key: string | null;
  data: string;
  created_at: number;
  expires_at: number;
  consumed_at: number | null;
}

const fromRow = (r: Row): OAuthArtifact => ({
  kind: r.kind as OAuthArtifact['kind'],
  idHash: r.id_hash,
  poolId: r.pool_id,
  clientId: r.client_id,
  usernameKey: r.username_key,
  data: JSON.parse(r.data),
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
  consumedAt: r.consumed_at === null || r.consumed_at === undefined ? null : Number(r.consumed_at),
});

/** An expiry-aware adapter in node-oidc-provider's shape: insert, find, consume, destroy. */
export class OAuthArtifactRepo {
  constructor(private readonly sql: Sql) {}

  async insert(a: OAuthArtifact): Promise<void> {
    await this.sql.run(
      `INSERT INTO oauth_artifacts (kind, id_hash, pool_id, client_id, username_key, data, created_at, expires_at, consumed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [a.kind, a.idHash, a.poolId, a.clientId, a.usernameKey, JSON.stringify(a.data), a.createdAt, a.expiresAt, a.consumedAt],
    );
  }

  /** The artefact while it is unexpired and not consumed. */
  async find(kind: OAuthArtifact['kind'], idHash: string, now: number): Promise<OAuthArtifact | undefined> {
    const row = await this.sql.get<Row>(
      'SELECT * FROM oauth_artifacts WHERE kind = ? AND id_hash = ? AND expires_at > ? AND consumed_at IS NULL',
      [kind, idHash, now],
    );
    return row && fromRow(row);
  }

  /**
   * Marks the artefact used, in the one statement that reads it, and returns it; undefined when
   * unknown, expired or already used (so of two concurrent redemptions only one gets it).
   */
  async consume(kind: OAuthArtifact['kind'], idHash: string, now: number): Promise<OAuthArtifact | undefined> {
    const row = await this.sql.get<Row>(
      `UPDATE oauth_artifacts SET consumed_at = ?
       WHERE kind = ? AND id_hash = ? AND expires_at > ? AND consumed_at IS NULL RETURNING *`,
      [now, kind, idHash, now],
    );
    return row && fromRow(row);
  }

  async destroy(kind: OAuthArtifact['kind'], idHash: string): Promise<void> {
    await this.sql.run('DELETE FROM oauth_artifacts WHERE kind = ? AND id_hash = ?', [kind, idHash]);
  }

  /** Housekeeping: removes up to `limit` artefacts that expired by `now`. */
  async purgeExpired(now: number, limit = 1000): Promise<number> {
    const r = await this.sql.run(
      `DELETE FROM oauth_artifacts WHERE (kind, id_hash) IN
         (SELECT kind, id_hash FROM oauth_artifacts WHERE expires_at <= ? LIMIT ?)`,
      [now, limit],
    );
    return r.changes;
  }
}
