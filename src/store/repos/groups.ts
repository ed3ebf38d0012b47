import type { Sql } from '../db.ts';
import type { Group } from '../../domain/types.ts';

interface Row {
  pool_id: string;
  group_name: string;
  description: string | null;
  role_arn: string | null;
  precedence: number | null;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row): Group => ({
  poolId: r.pool_id,
  groupName: r.group_name,
  description: r.description,
  roleArn: r.role_arn,
  precedence: r.precedence === null || r.precedence === undefined ? null : Number(r.precedence),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/** Groups of a pool and their members (user_groups). Members go when their user or group goes (FK cascade). */
export class GroupRepo {
  constructor(private readonly sql: Sql) {}

  async get(poolId: string, groupName: string): Promise<Group | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM groups WHERE pool_id = ? AND group_name = ?', [poolId, groupName]);
    return row && fromRow(row);
  }

  async insert(g: Group): Promise<void> {
    await this.sql.run(
      'INSERT INTO groups (pool_id, group_name, description, role_arn, precedence, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [g.poolId, g.groupName, g.description, g.roleArn, g.precedence, g.createdAt, g.updatedAt],
    );
  }

  async update(g: Group): Promise<void> {
    await this.sql.run(
      'UPDATE groups SET description = ?, role_arn = ?, precedence = ?, updated_at = ? WHERE pool_id = ? AND group_name = ?',
      [g.description, g.roleArn, g.precedence, g.updatedAt, g.poolId, g.groupName],
    );
  }

  async delete(poolId: string, groupName: string): Promise<void> {
    await this.sql.run('DELETE FROM groups WHERE pool_id = ? AND group_name = ?', [poolId, groupName]);
  }

  /** Groups of a pool in name order, after the given name. */
  async list(poolId: string, after: string | null, limit: number): Promise<Group[]> {
    const rows = await this.sql.all<Row>(
      'SELECT * FROM groups WHERE pool_id = ? AND group_name > ? ORDER BY group_name LIMIT ?',
      [poolId, after ?? '', limit],
    );
    return rows.map(fromRow);
  }

  async count(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM groups WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }

  /** Adds a member; adding one twice changes nothing. */
  async addMember(poolId: string, groupName: string, usernameKey: string, now: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO user_groups (pool_id, group_name, username_key, added_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (pool_id, group_name, username_key) DO NOTHING`,
      [poolId, groupName, usernameKey, now],
    );
  }

  async removeMember(poolId: string, groupName: string, usernameKey: string): Promise<void> {
    await this.sql.run('DELETE FROM user_groups WHERE pool_id = ? AND group_name = ? AND username_key = ?', [
      poolId,
      groupName,
      usernameKey,
    ]);
  }

  async isMember(poolId: string, groupName: string, usernameKey: string): Promise<boolean> {
    const r = await this.sql.get<{ one: number }>(
      'SELECT 1 AS one FROM user_groups WHERE pool_id = ? AND group_name = ? AND username_key = ?',
      [poolId, groupName, usernameKey],
    );
    return r !== undefined;
  }

  /** Every group a user belongs to (at most 100, Cognito's quota), unordered. */
  async ofUser(poolId: string, usernameKey: string): Promise<Group[]> {
    const rows = await this.sql.all<Row>(
      `SELECT g.* FROM user_groups m JOIN groups g ON g.pool_id = m.pool_id AND g.group_name = m.group_name
       WHERE m.pool_id = ? AND m.username_key = ?`,
      [poolId, usernameKey],
    );
    return rows.map(fromRow);
  }

  async countOfUser(poolId: string, usernameKey: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM user_groups WHERE pool_id = ? AND username_key = ?', [
      poolId,
      usernameKey,
    ]);
    return Number(r?.n ?? 0);
  }
}
