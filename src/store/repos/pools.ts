import type { Sql } from '../db.ts';
import type { UserPool } from '../../domain/types.ts';

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
  config: shared ? sharedConfig(r.id, r.config) : JSON.parse(r.config),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/**
 * Parsed pool settings, by pool id, while their stored text stays the same: every request reads
 * its pool, and parsing the settings anew each time cost several per cent of a simple read.
 * Shared objects are frozen (all the way down), so code that would change one throws instead of
 * changing every later reader's copy; only reads outside a transaction get them (a transaction
 * reads its own copy to change and write back). The row is still read each time, so another
 * node's change is seen at once.
 */
const parsed = new Map<string, { raw: string; config: UserPool['config'] }>();
function sharedConfig(id: string, raw: string): UserPool['config'] {
  const hit = parsed.get(id);
  if (hit && hit.raw === raw) return hit.config;
  const config = deepFreeze(JSON.parse(raw));
  if (parsed.size >= 10_000) parsed.clear();
  parsed.set(id, { raw, config });
  return config;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

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
