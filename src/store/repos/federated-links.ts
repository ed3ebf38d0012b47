import type { Sql } from '../db.ts';

/**
 * An AdminLinkProviderForUser link: the provider user whose `attributeName` (Cognito_Subject:
 * the provider's own user id; a SAML attribute otherwise) has `attributeValue` signs in as the
 * pool user `usernameKey`.
 */
export interface FederatedLink {
  poolId: string;
  providerName: string;
  attributeName: string;
  attributeValue: string;
  usernameKey: string;
  createdAt: number;
}

interface Row {
  pool_id: string;
  provider_name: string;
  attribute_name: string;
  attribute_value: string;
  username_key: string;
  created_at: number;
}

const fromRow = (r: Row): FederatedLink => ({
  poolId: r.pool_id,
  providerName: r.provider_name,
  attributeName: r.attribute_name,
  attributeValue: r.attribute_value,
  usernameKey: r.username_key,
  createdAt: Number(r.created_at),
});

/** Links, one per provider user; they go with their pool user (FK cascade). */
export class FederatedLinkRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, providerName: string, attributeName: string, attributeValue: string): Promise<FederatedLink | undefined> {
    const row = await this.sql.get<Row>(
      'SELECT * FROM federated_links WHERE pool_id = ? AND provider_name = ? AND attribute_name = ? AND attribute_value = ?',
      [poolId, providerName, attributeName, attributeValue],
    );
    return row && fromRow(row);
  }

  /** The attribute names the provider's links use (Cognito_Subject, SAML attribute names). */
  async attributeNames(poolId: string, providerName: string): Promise<string[]> {
    const rows = await this.sql.all<{ attribute_name: string }>(
      'SELECT DISTINCT attribute_name FROM federated_links WHERE pool_id = ? AND provider_name = ? ORDER BY attribute_name',
      [poolId, providerName],
    );
    return rows.map((r) => r.attribute_name);
  }

  async ofUser(poolId: string, usernameKey: string): Promise<FederatedLink[]> {
    const rows = await this.sql.all<Row>(
      'SELECT * FROM federated_links WHERE pool_id = ? AND username_key = ? ORDER BY created_at, provider_name',
      [poolId, usernameKey],
    );
    return rows.map(fromRow);
  }

  async insert(l: FederatedLink): Promise<void> {
    await this.sql.run(
      `INSERT INTO federated_links (pool_id, provider_name, attribute_name, attribute_value, username_key, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      [l.poolId, l.providerName, l.attributeName, l.attributeValue, l.usernameKey, l.createdAt],
    );
  }

  async delete(poolId: string, providerName: string, attributeName: string, attributeValue: string): Promise<number> {
    const r = await this.sql.run(
      'DELETE FROM federated_links WHERE pool_id = ? AND provider_name = ? AND attribute_name = ? AND attribute_value = ?',
      [poolId, providerName, attributeName, attributeValue],
    );
    return r.changes;
  }
}
