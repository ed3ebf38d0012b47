import type { Sql } from '../db.ts';
import type { IdentityPool } from '../../domain/types.ts';

interface Row {
  id: string;
  region: string;
  name: string;
  config: string;
  roles: string;
  role_mappings: string;
  tags: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): IdentityPool => ({
  id: r.id,
  region: r.region,
  name: r.name,
  config: JSON.parse(r.config),
  roles: JSON.parse(r.roles),
  roleMappings: JSON.parse(r.role_mappings),
  tags: JSON.parse(r.tags),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Identity pools (cognito-identity), keyed by their `<region>:<uuid>` id. */
export class IdentityPoolRepo {
  constructor(private readonly sql: Sql) {}

  async get(id: string): Promise<IdentityPool | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM identity_pools WHERE id = ?', [id]);
    return row && fromRow(row);
  }

  async insert(p: IdentityPool): Promise<void> {
    await this.sql.run(
      `INSERT INTO identity_pools (id, region, name, config, roles, role_mappings, tags, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [p.id, p.region, p.name, JSON.stringify(p.config), JSON.stringify(p.roles), JSON.stringify(p.roleMappings), JSON.stringify(p.tags), p.createdAt, p.updatedAt],
    );
  }

  /** Writes every mutable column; callers read, change and write in one transaction. */
  async update(p: IdentityPool): Promise<void> {
    await this.sql.run(
      'UPDATE identity_pools SET name = ?, config = ?, roles = ?, role_mappings = ?, tags = ?, updated_at = ? WHERE id = ?',
      [p.name, JSON.stringify(p.config), JSON.stringify(p.roles), JSON.stringify(p.roleMappings), JSON.stringify(p.tags), p.updatedAt, p.id],
    );
  }

  /** True when a pool was deleted. */
  async delete(id: string): Promise<boolean> {
    return (await this.sql.run('DELETE FROM identity_pools WHERE id = ?', [id])).changes > 0;
  }

  /** Pools of one region in id order, after the given id. */
  async list(region: string, after: string | null, limit: number): Promise<IdentityPool[]> {
    const rows = await this.sql.all<Row>('SELECT * FROM identity_pools WHERE region = ? AND id > ? ORDER BY id LIMIT ?', [region, after ?? '', limit]);
    return rows.map(fromRow);
  }

  async count(region: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM identity_pools WHERE region = ?', [region]);
    return Number(r?.n ?? 0);
  }
}
