import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';
import type { AppClient } from '../../domain/types.ts';

interface Row {
  client_id: string;
  pool_id: string;
  config: string;
  client_secret: string | null;
  created_at: number;
  updated_at: number;
}

/** What a sealed client secret is bound to. */
export const sealedRow = (clientId: string) => `user_pool_clients/${clientId}`;

const fromRow = (r: Row, sealer: Sealer): AppClient => ({
  clientId: r.client_id,
  poolId: r.pool_id,
  config: JSON.parse(r.config),
  clientSecret: r.client_secret === null ? null : sealer.open(r.client_secret, sealedRow(r.client_id)),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export class ClientRepo {
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
  ) {}

  private sealed(c: AppClient): string | null {
    return c.clientSecret === null ? null : this.sealer.seal(c.clientSecret, sealedRow(c.clientId));
  }

  async get(clientId: string): Promise<AppClient | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM user_pool_clients WHERE client_id = ?', [clientId]);
    return row && fromRow(row, this.sealer);
  }

  async insert(c: AppClient): Promise<void> {
    await this.sql.run(
      'INSERT INTO user_pool_clients (client_id, pool_id, config, client_secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [c.clientId, c.poolId, JSON.stringify(c.config), this.sealed(c), c.createdAt, c.updatedAt],
    );
  }

  async update(c: AppClient): Promise<void> {
    await this.sql.run('UPDATE user_pool_clients SET config = ?, client_secret = ?, updated_at = ? WHERE client_id = ?', [
      JSON.stringify(c.config),
      this.sealed(c),
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
    return rows.map((r) => fromRow(r, this.sealer));
  }

  async countInPool(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM user_pool_clients WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }
}
