import type { Sql } from '../db.ts';
import type { ResourceServerScopeType } from '../../generated/cognito-idp.ts';

/** A resource server as stored: its identifier is unique in the pool and prefixes its scopes. */
export interface ResourceServer {
  poolId: string;
  identifier: string;
  name: string;
  scopes: ResourceServerScopeType[];
  createdAt: number;
  updatedAt: number;
}

interface Row {
  pool_id: string;
  identifier: string;
  name: string;
  scopes: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): ResourceServer => ({
  poolId: r.pool_id,
  identifier: r.identifier,
  name: r.name,
  scopes: JSON.parse(r.scopes),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** A pool's resource servers, keyed by identifier. They go with their pool (FK cascade). */
export class ResourceServerRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, identifier: string): Promise<ResourceServer | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM resource_servers WHERE pool_id = ? AND identifier = ?', [poolId, identifier]);
    return row && fromRow(row);
  }

  /** Inserts; a taken identifier throws UniqueViolation (db.ts). */
  async insert(rs: ResourceServer): Promise<void> {
    await this.sql.run(
      'INSERT INTO resource_servers (pool_id, identifier, name, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
      [rs.poolId, rs.identifier, rs.name, JSON.stringify(rs.scopes), rs.createdAt, rs.updatedAt],
    );
  }

  async update(rs: ResourceServer): Promise<void> {
    await this.sql.run('UPDATE resource_servers SET name = ?, scopes = ?, updated_at = ? WHERE pool_id = ? AND identifier = ?', [
      rs.name,
      JSON.stringify(rs.scopes),
      rs.updatedAt,
      rs.poolId,
      rs.identifier,
    ]);
  }

  async delete(poolId: string, identifier: string): Promise<void> {
    await this.sql.run('DELETE FROM resource_servers WHERE pool_id = ? AND identifier = ?', [poolId, identifier]);
  }

  /** In identifier order, after the given identifier. */
  async list(poolId: string, after: string | null, limit: number): Promise<ResourceServer[]> {
    const rows = await this.sql.all<Row>(
      'SELECT * FROM resource_servers WHERE pool_id = ? AND identifier > ? ORDER BY identifier LIMIT ?',
      [poolId, after ?? '', limit],
    );
    return rows.map(fromRow);
  }

  async all(poolId: string): Promise<ResourceServer[]> {
    const rows = await this.sql.all<Row>('SELECT * FROM resource_servers WHERE pool_id = ? ORDER BY identifier', [poolId]);
    return rows.map(fromRow);
  }

  async count(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM resource_servers WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }
}
