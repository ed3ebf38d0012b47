import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';
import type { IdentityProvider } from '../../domain/types.ts';

interface Row {
  pool_id: string;
  provider_name: string;
  provider_type: string;
  provider_details: string;
  attribute_mapping: string;
  idp_identifiers: string;
  created_at: number;
  updated_at: number;
}

/** What a sealed ProviderDetails document (it holds client_secret, private_key ...) is bound to. */
export const sealedRow = (poolId: string, providerName: string) => `identity_providers/${poolId}/${providerName}`;

const fromRow = (r: Row, sealer: Sealer): IdentityProvider => ({
  poolId: r.pool_id,
  providerName: r.provider_name,
  providerType: r.provider_type as IdentityProvider['providerType'],
  providerDetails: JSON.parse(sealer.open(r.provider_details, sealedRow(r.pool_id, r.provider_name))),
  attributeMapping: JSON.parse(r.attribute_mapping),
  idpIdentifiers: JSON.parse(r.idp_identifiers),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** A pool's identity providers (at most 300, Cognito's quota), keyed by name. They go with their pool (FK cascade). */
export class IdentityProviderRepo {
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
  ) {}

  private details(p: IdentityProvider): string {
    return this.sealer.seal(JSON.stringify(p.providerDetails), sealedRow(p.poolId, p.providerName));
  }

  async get(poolId: string, providerName: string): Promise<IdentityProvider | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM identity_providers WHERE pool_id = ? AND provider_name = ?', [poolId, providerName]);
    return row && fromRow(row, this.sealer);
  }

  /** Inserts; a taken name throws UniqueViolation (db.ts). */
  async insert(p: IdentityProvider): Promise<void> {
    await this.sql.run(
      `INSERT INTO identity_providers (pool_id, provider_name, provider_type, provider_details, attribute_mapping, idp_identifiers, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [p.poolId, p.providerName, p.providerType, this.details(p), JSON.stringify(p.attributeMapping), JSON.stringify(p.idpIdentifiers), p.createdAt, p.updatedAt],
    );
  }

  async update(p: IdentityProvider): Promise<void> {
    await this.sql.run(
      'UPDATE identity_providers SET provider_details = ?, attribute_mapping = ?, idp_identifiers = ?, updated_at = ? WHERE pool_id = ? AND provider_name = ?',
      [this.details(p), JSON.stringify(p.attributeMapping), JSON.stringify(p.idpIdentifiers), p.updatedAt, p.poolId, p.providerName],
    );
  }

  async delete(poolId: string, providerName: string): Promise<void> {
    await this.sql.run('DELETE FROM identity_providers WHERE pool_id = ? AND provider_name = ?', [poolId, providerName]);
  }

  /** Providers of a pool in name order, after the given name. */
  async list(poolId: string, after: string | null, limit: number): Promise<IdentityProvider[]> {
    const rows = await this.sql.all<Row>(
      'SELECT * FROM identity_providers WHERE pool_id = ? AND provider_name > ? ORDER BY provider_name LIMIT ?',
      [poolId, after ?? '', limit],
    );
    return rows.map((r) => fromRow(r, this.sealer));
  }

  async names(poolId: string): Promise<string[]> {
    const rows = await this.sql.all<{ provider_name: string }>('SELECT provider_name FROM identity_providers WHERE pool_id = ?', [poolId]);
    return rows.map((r) => r.provider_name);
  }

  async count(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM identity_providers WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }
}
