import type { Sql } from '../db.ts';
import type { AssetType } from '../../generated/cognito-idp.ts';

/** A managed-login branding style (CreateManagedLoginBranding), one per app client. */
export interface ManagedLoginBranding {
  poolId: string;
  brandingId: string;
  clientId: string;
  useCognitoProvidedValues: boolean;
  /** The Settings document as given (only what the caller customized). */
  settings: Record<string, unknown>;
  assets: AssetType[];
  createdAt: number;
  updatedAt: number;
}

interface Row {
  pool_id: string;
  branding_id: string;
  client_id: string;
  use_cognito_provided_values: number;
  settings: string;
  assets: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): ManagedLoginBranding => ({
  poolId: r.pool_id,
  brandingId: r.branding_id,
  clientId: r.client_id,
  useCognitoProvidedValues: Number(r.use_cognito_provided_values) === 1,
  settings: JSON.parse(r.settings),
  assets: JSON.parse(r.assets),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Brandings, keyed by id in their pool and unique per client; they go with their client. */
export class ManagedLoginBrandingRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, brandingId: string): Promise<ManagedLoginBranding | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM managed_login_brandings WHERE pool_id = ? AND branding_id = ?', [poolId, brandingId]);
    return row && fromRow(row);
  }

  async ofClient(clientId: string): Promise<ManagedLoginBranding | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM managed_login_brandings WHERE client_id = ?', [clientId]);
    return row && fromRow(row);
  }

  /** Inserts; a client that has one already throws UniqueViolation (db.ts). */
  async insert(b: ManagedLoginBranding): Promise<void> {
    await this.sql.run(
      `INSERT INTO managed_login_brandings (pool_id, branding_id, client_id, use_cognito_provided_values, settings, assets, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      [b.poolId, b.brandingId, b.clientId, b.useCognitoProvidedValues ? 1 : 0, JSON.stringify(b.settings), JSON.stringify(b.assets), b.createdAt, b.updatedAt],
    );
  }

  async update(b: ManagedLoginBranding): Promise<void> {
    await this.sql.run(
      'UPDATE managed_login_brandings SET use_cognito_provided_values = ?, settings = ?, assets = ?, updated_at = ? WHERE pool_id = ? AND branding_id = ?',
      [b.useCognitoProvidedValues ? 1 : 0, JSON.stringify(b.settings), JSON.stringify(b.assets), b.updatedAt, b.poolId, b.brandingId],
    );
  }

  async delete(poolId: string, brandingId: string): Promise<void> {
    await this.sql.run('DELETE FROM managed_login_brandings WHERE pool_id = ? AND branding_id = ?', [poolId, brandingId]);
  }
}
