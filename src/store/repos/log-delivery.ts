import type { Sql } from '../db.ts';

/** A pool's SetLogDeliveryConfiguration, kept as given (LogConfigurations). */
export interface StoredLogDelivery {
  poolId: string;
  logConfigurations: Record<string, unknown>[];
  updatedAt: number;
}

interface Row {
  pool_id: string;
  config: string;
  updated_at: number;
}

export class LogDeliveryRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string): Promise<StoredLogDelivery | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM log_delivery_configurations WHERE pool_id = ?', [poolId]);
    return row && { poolId: row.pool_id, logConfigurations: JSON.parse(row.config), updatedAt: Number(row.updated_at) };
  }

  async put(c: StoredLogDelivery): Promise<void> {
    await this.sql.run(
      `INSERT INTO log_delivery_configurations (pool_id, config, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (pool_id) DO UPDATE SET config = excluded.config, updated_at = excluded.updated_at`,
      [c.poolId, JSON.stringify(c.logConfigurations), c.updatedAt],
    );
  }
}
