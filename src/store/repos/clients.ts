import type { Sql } from '../db.ts';
import type { AppClient } from '../../domain/types.ts';

interface Row {
  client_id: string;
  pool_id: string;
  config: string;
  client_secret: string | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): AppClient => ({
  clientId: r.client_id,
  poolId: r.pool_id,
  config: JSON.parse(r.config),
  clientSecret: r.client_secret,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export class ClientRepo {
  constructor(private readonly sql: Sql) {}

  async get(clientId: string): Promise<AppClient | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM user_pool_clients WHERE client_id = ?', [clientId]);
    return row && fromRow(row);
  }

  async insert(c: AppClient): Promise<void> {
    await this.sql.run(
      'INSERT INTO user_pool_clients (client_id, pool_id, config, client_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [c.clientId, c.poolId, JSON.stringify(c.config), c.clientSecret, c.createdAt, c.updatedAt],
    );
  }

  async update(c: AppClient): Promise<void> {
    await this.sql.run('UPDATE user_pool_clients SET config = ?, client_secret = ?, updated_at = ? WHERE client_id = ?', [
      JSON.stringify(c.config),
      c.clientSecret,
      c.updatedAt,
      c.clientId,
    ]);
  }

  async delete(clientId: string): Promise<void> {
    await this.sql.run('DELETE FROM user_pool_clients WHERE client_id = ?', [clientId]);
  }

  async list(poolId: string, after: string | null, limit: number): Promise<AppClient[]> {
    const rows = await this.sql.all<Row>(
      'SELECT * FROM user_pool_clients WHERE pool_id = ? AND client_id > ? ORDER BY client_id LIMIT ?',
      [poolId, after ?? '', limit],
    );
    return rows.map(fromRow);
  }

  async countInPool(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM user_pool_clients WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }
}
