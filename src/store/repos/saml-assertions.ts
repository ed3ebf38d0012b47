import type { Sql } from '../db.ts';

/**
 * The ids of SAML assertions a pool has accepted, kept (as SHA-256) until the assertion would have
 * expired anyway, so each is accepted once (federation/saml-response.ts).
 */
export class SamlAssertionRepo {
  constructor(private readonly sql: Sql) {}

  /**
   * Records the assertion as used; false when it was used before. One conditional insert, so of
   * two nodes given one assertion at once exactly one sees true. Drops a few ended records of the
   * pool on the way, so the table keeps itself small without a sweeper.
   */
  async use(poolId: string, idHash: string, expiresAt: number, now: number): Promise<boolean> {
    await this.sql.run(
      `DELETE FROM saml_assertions WHERE (pool_id, id_hash) IN
         (SELECT pool_id, id_hash FROM saml_assertions WHERE pool_id = ? AND expires_at <= ? LIMIT 100)`,
      [poolId, now],
    );
    const r = await this.sql.run(
      'INSERT INTO saml_assertions (pool_id, id_hash, expires_at, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (pool_id, id_hash) DO NOTHING',
      [poolId, idHash, expiresAt, now],
    );
    return r.changes === 1;
  }
}
