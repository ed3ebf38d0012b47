import type { Sql } from '../db.ts';
import type { UserPool } from '../../domain/types.ts';
import { SharedJson } from '../../util/freeze.ts';

interface Row {
  id: string;
  region: string;
  name: string;
  config: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row, shared: boolean): UserPool => ({
  id: r.id,
  region: r.region,
  name: r.name,
  config: shared ? parsedConfigs.get(r.id, r.config) : JSON.parse(r.config),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/**
 * Parsed pool settings: every request reads its pool, and parsing the settings anew each time cost
 * several per cent of a simple read. Only reads outside a transaction get the shared, frozen
 * copy (a transaction reads its own copy to change and write back).
 */
const parsedConfigs = new SharedJson<UserPool['config']>();

export class PoolRepo {
  /** `shared`: answers carry frozen, shared settings objects (reads outside a transaction). */
  constructor(
    private readonly sql: Sql,
    private readonly shared = false,
  ) {}

  async get(id: string): Promise<UserPool | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM user_pools WHERE id = ?', [id]);
    return row && fromRow(row, this.shared);
  }

  async insert(p: UserPool): Promise<void> {
    await this.sql.run(
      'INSERT INTO user_pools (id, region, name, config, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [p.id, p.region, p.name, JSON.stringify(p.config), p.createdAt, p.updatedAt],
    );
  }

  async update(p: UserPool): Promise<void> {
    await this.sql.run('UPDATE user_pools SET name = ?, config = ?, updated_at = ? WHERE id = ?', [
      p.name,
      JSON.stringify(p.config),
      p.updatedAt,
      p.id,
    ]);
  }

  async delete(id: string): Promise<void> {
    await this.sql.run('DELETE FROM user_pools WHERE id = ?', [id]);
  }

  /** Pools of one region in id order, after the given id. */
  async list(region: string, after: string | null, limit: number): Promise<UserPool[]> {
    const rows = await this.sql.all<Row>(
      'SELECT * FROM user_pools WHERE region = ? AND id > ? ORDER BY id LIMIT ?',
      [region, after ?? '', limit],
    );
    return rows.map((r) => fromRow(r, this.shared));
  }

  async all(): Promise<UserPool[]> {
    return (await this.sql.all<Row>('SELECT * FROM user_pools ORDER BY id')).map((r) => fromRow(r, this.shared));
  }

  async countUsers(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }
}
