import type { Sql } from '../db.ts';

/**
 * SetRiskConfiguration's documents: one per pool (clientId '') and one per app client that has
 * its own. The document is the request's three parts, kept as given (domain/threat/config.ts).
 */
export interface StoredRiskConfiguration {
  poolId: string;
  /** '' for the pool's own configuration. */
  clientId: string;
  config: Record<string, unknown>;
  updatedAt: number;
}

interface Row {
  pool_id: string;
  client_id: string;
  config: string;
  updated_at: number;
}

const fromRow = (r: Row): StoredRiskConfiguration => ({ poolId: r.pool_id, clientId: r.client_id, config: JSON.parse(r.config), updatedAt: Number(r.updated_at) });

export class RiskConfigurationRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, clientId: string): Promise<StoredRiskConfiguration | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM risk_configurations WHERE pool_id = ? AND client_id = ?', [poolId, clientId]);
    return row && fromRow(row);
  }

  /** The client's own configuration when it has one, else the pool's: one read. */
  async effective(poolId: string, clientId: string): Promise<StoredRiskConfiguration | undefined> {
    const rows = await this.sql.all<Row>(
      "SELECT * FROM risk_configurations WHERE pool_id = ? AND (client_id = ? OR client_id = '') ORDER BY client_id DESC LIMIT 1",
      [poolId, clientId],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async put(c: StoredRiskConfiguration): Promise<void> {
    await this.sql.run(
      `INSERT INTO risk_configurations (pool_id, client_id, config, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (pool_id, client_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      [c.poolId, c.clientId, JSON.stringify(c.config), c.updatedAt],
    );
  }

  async delete(poolId: string, clientId: string): Promise<void> {
    await this.sql.run('DELETE FROM risk_configurations WHERE pool_id = ? AND client_id = ?', [poolId, clientId]);
  }
}
