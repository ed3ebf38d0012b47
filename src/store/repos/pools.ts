import { randomBytes } from 'node:crypto';
import type { Sql } from '../db.ts';
import type { User, UserPool } from '../../domain/types.ts';
import { deepFreeze } from '../../util/freeze.ts';
import { USER_COLUMNS_READ, fromRow as userFromRow, type UserRow } from './users.ts';
import { sharedClientConfig, type ClientRow, type ClientSettings } from './clients.ts';

interface Row {
  id: string;
  region: string;
  name: string;
  config: string;
  created_at: number;
  updated_at: number;
}

const fromRow = (r: Row, config: UserPool['config']): UserPool => ({
  id: r.id,
  region: r.region,
  name: r.name,
  config,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/**
 * A new value of user_pools.version (migration 22): drawn at random on every write of the row, so
 * that one version always stands for one stored text of the settings, even after a restore from a
 * backup or an import brings back an older row (a counter could then repeat with other settings).
 */
export const newPoolVersion = () => randomBytes(12).toString('base64url');

/**
 * Parsed pool settings by pool id, with the version and updated_at of the row they were read
 * from: every request reads its pool, and its settings are some 4 KB of JSON. A read outside a
 * transaction fetches the settings text only when the row's version (or updated_at, for a row
 * written by an older Tobira that left the version alone) differs from the kept one, so another
 * node's change is still seen at once. The kept objects are frozen all the way down: code that
 * would change them throws instead of changing every later reader's copy (a transaction reads
 * its own copy to change and write back). Rows of version '' (written before migration 22, or
 * by an older Tobira) are never taken as unchanged.
 */
const parsedConfigs = new Map<string, { version: string; updatedAt: number; config: UserPool['config'] }>();
const PARSED_MAX = 10_000;

/** The row's columns but the settings, then the settings unless the row is at `version` and `updated_at`. */
const VERSIONED_SELECT =
  'SELECT region, name, created_at, updated_at, version, CASE WHEN version = ? AND updated_at = ? THEN NULL ELSE config END FROM user_pools WHERE id = ?';
type VersionedRow = [region: string, name: string, created_at: number, updated_at: number, version: string, config: string | null];

/** VERSIONED_SELECT's columns of pool `p`, then those of its user `u` with a given key (all NULL when there is none). */
const POOL_AND_USER_COLUMNS = `p.region, p.name, p.created_at, p.updated_at, p.version, CASE WHEN p.version = ? AND p.updated_at = ? THEN NULL ELSE p.config END, ${USER_COLUMNS_READ}`;
const POOL_AND_USER = 'user_pools p LEFT JOIN users u ON u.pool_id = p.id AND u.username_key = ?';
const WITH_USER_SELECT = `SELECT ${POOL_AND_USER_COLUMNS} FROM ${POOL_AND_USER} WHERE p.id = ?`;
const USER_SELECT = `SELECT ${USER_COLUMNS_READ} FROM users u WHERE u.pool_id = ? AND u.username_key = ?`;
/** WITH_USER_SELECT's columns, then whether a sign-in (origin_jti) is revoked, then an app client's pool and settings text (NULL when there is none). */
const FOR_ACCESS_TOKEN_SELECT = `SELECT ${POOL_AND_USER_COLUMNS},
  EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.origin_jti = ?), c.pool_id, c.config
  FROM ${POOL_AND_USER} LEFT JOIN user_pool_clients c ON c.client_id = ? WHERE p.id = ?`;
type ForAccessTokenRow = [...VersionedRow, ...UserRow, revoked: number | boolean, client_pool_id: string | null, client_config: string | null];

/** An app client's row (repos/clients.ts), then VERSIONED_SELECT's columns of its pool. */
const BY_CLIENT_SELECT = `SELECT c.client_id, c.pool_id, c.config, c.client_secret, c.created_at, c.updated_at, c.client_secret_id, c.client_secret_created_at,
  p.region, p.name, p.created_at, p.updated_at, p.version, CASE WHEN p.version = ? AND p.updated_at = ? THEN NULL ELSE p.config END
  FROM user_pool_clients c JOIN user_pools p ON p.id = c.pool_id WHERE c.client_id = ?`;
type ByClientRow = [
  client_id: string,
  pool_id: string,
  config: string,
  client_secret: string | null,
  created_at: number,
  updated_at: number,
  client_secret_id: string | null,
  client_secret_created_at: number | null,
  ...VersionedRow,
];

/**
 * The pool of each app client read by getByClient (a client never moves to another pool), so
 * that the next read of the client asks for its pool's settings only when they changed.
 */
const poolOfClient = new Map<string, string>();

/** The kept settings of a pool, unless its row has no version. Taken before a read: a concurrent read may replace the entry meanwhile. */
function keptConfig(id: string) {
  const kept = parsedConfigs.get(id);
  return kept && kept.version !== '' ? kept : undefined;
}

/** The pool of a VERSIONED_SELECT row: without settings text, the row is at `known`'s version (a NULL version parameter never matches). */
function poolOf(id: string, row: VersionedRow | [...VersionedRow, ...unknown[]], known: { config: UserPool['config'] } | undefined): UserPool {
  const [region, name, createdAt, updatedAt, version, text] = row;
  let config = known?.config as UserPool['config'];
  if (text !== null) {
    config = deepFreeze(JSON.parse(text) as UserPool['config']);
    if (parsedConfigs.size >= PARSED_MAX) parsedConfigs.clear();
    parsedConfigs.set(id, { version, updatedAt: Number(updatedAt), config });
  }
  return { id, region, name, config, createdAt: Number(createdAt), updatedAt: Number(updatedAt) };
}

export class PoolRepo {
  /** `shared`: answers carry frozen, shared settings objects (reads outside a transaction). */
  constructor(
    private readonly sql: Sql,
    private readonly shared = false,
  ) {}

  async get(id: string): Promise<UserPool | undefined> {
    if (!this.shared) {
      const row = await this.sql.get<Row>('SELECT id, region, name, config, created_at, updated_at FROM user_pools WHERE id = ?', [id]);
      return row && fromRow(row, JSON.parse(row.config));
    }
    const known = keptConfig(id);
    const [row] = await this.sql.rows<VersionedRow>(VERSIONED_SELECT, [known?.version ?? null, known?.updatedAt ?? null, id]);
    return row && poolOf(id, row, known);
  }

  /**
   * The pool and its user stored under `keyOf(pool)` (a username key depends on the pool's
   * settings), in one statement when this process keeps the pool's settings: one round trip to
   * PostgreSQL instead of two (AdminGetUser). Outside a transaction only: a transaction's user
   * reads lock the row (repos/users.ts), which this read does not.
   */
  async getWithUser(id: string, keyOf: (pool: Pick<UserPool, 'config'>) => string): Promise<{ pool: UserPool; user: User | undefined } | undefined> {
    if (!this.shared) throw new Error('PoolRepo.getWithUser reads outside a transaction');
    const known = keptConfig(id);
    const key = known && keyOf(known);
    const [row] = await this.sql.rows<[...VersionedRow, ...UserRow]>(WITH_USER_SELECT, [known?.version ?? null, known?.updatedAt ?? null, key ?? null, id]);
    if (!row) return undefined;
    const pool = poolOf(id, row, known);
    return { pool, user: await this.joinedUser(pool, known, key, keyOf, row) };
  }

  /**
   * An app client's row and its pool, in one statement: what every call naming only a ClientId
   * (InitiateAuth, SignUp, ForgotPassword ...) reads first, one round trip to PostgreSQL instead
   * of two. The pool's settings come as getWithUser's do. Outside a transaction only.
   */
  async getByClient(clientId: string): Promise<{ pool: UserPool; client: ClientRow } | undefined> {
    if (!this.shared) throw new Error('PoolRepo.getByClient reads outside a transaction');
    const hinted = poolOfClient.get(clientId);
    const known = hinted === undefined ? undefined : keptConfig(hinted);
    const [row] = await this.sql.rows<ByClientRow>(BY_CLIENT_SELECT, [known?.version ?? null, known?.updatedAt ?? null, clientId]);
    if (!row) return undefined;
    const [client_id, pool_id, config, client_secret, created_at, updated_at, client_secret_id, client_secret_created_at] = row;
    const client = { client_id, pool_id, config, client_secret, created_at, updated_at, client_secret_id, client_secret_created_at };
    // A remembered pool that is not the client's (a client id made anew in another pool, by an
    // import) has another version (versions are random): its settings come as text all the same.
    if (hinted !== pool_id) {
      if (poolOfClient.size >= PARSED_MAX) poolOfClient.clear();
      poolOfClient.set(clientId, pool_id);
    }
    return { pool: poolOf(pool_id, row.slice(8) as VersionedRow, known), client };
  }

  /**
   * What checking an access token reads (domain/tokens/access-tokens.ts): getWithUser, whether the
   * token's sign-in `originJti` is revoked (revoked_tokens), and the settings of its app client
   * `clientId` (GetUser's ReadAttributes), in one statement when this process keeps the pool's
   * settings: one round trip instead of four. Outside a transaction only, as getWithUser.
   */
  async getForAccessToken(
    id: string,
    keyOf: (pool: Pick<UserPool, 'config'>) => string,
    originJti: string | null,
    clientId: string | null,
  ): Promise<{ pool: UserPool; user: User | undefined; originRevoked: boolean; client: ClientSettings | undefined } | undefined> {
    if (!this.shared) throw new Error('PoolRepo.getForAccessToken reads outside a transaction');
    const known = keptConfig(id);
    const key = known && keyOf(known);
    const [row] = await this.sql.rows<ForAccessTokenRow>(FOR_ACCESS_TOKEN_SELECT, [known?.version ?? null, known?.updatedAt ?? null, originJti, key ?? null, clientId, id]);
    if (!row) return undefined;
    const pool = poolOf(id, row, known);
    // The pool's 6 columns, the user's 18, then the rest.
    const [revoked, clientPoolId, clientConfig] = row.slice(24) as [number | boolean, string | null, string | null];
    // EXISTS gives 1 or 0 on SQLite, a boolean on PostgreSQL.
    const originRevoked = revoked === true || revoked === 1;
    const client =
      clientId !== null && clientPoolId !== null && clientConfig !== null
        ? { clientId, poolId: clientPoolId, config: sharedClientConfig(clientId, clientConfig) }
        : undefined;
    return { pool, user: await this.joinedUser(pool, known, key, keyOf, row), originRevoked, client };
  }

  /**
   * The user of a row of POOL_AND_USER_COLUMNS, joined by `key`, the key of the kept settings
   * `known`. Without kept settings, or when the settings read give the identifier another key
   * (the pool was made anew), the user is read again by the key of the settings read.
   */
  private async joinedUser(
    pool: UserPool,
    known: { config: UserPool['config'] } | undefined,
    key: string | undefined,
    keyOf: (pool: Pick<UserPool, 'config'>) => string,
    row: readonly unknown[],
  ): Promise<User | undefined> {
    if (key === undefined || (pool.config !== known!.config && keyOf(pool) !== key)) return this.userOf(pool, keyOf(pool));
    // The pool's 6 columns, then the user's 18; its username (never NULL in a stored user) is NULL when the LEFT JOIN found none.
    return row[7] === null ? undefined : userFromRow(pool.id, row.slice(6, 24) as UserRow);
  }

  private async userOf(pool: UserPool, key: string): Promise<User | undefined> {
    const [row] = await this.sql.rows<UserRow>(USER_SELECT, [pool.id, key]);
    return row && userFromRow(pool.id, row);
  }

  async insert(p: UserPool): Promise<void> {
    await this.sql.run(
      'INSERT INTO user_pools (id, region, name, config, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [p.id, p.region, p.name, JSON.stringify(p.config), p.createdAt, p.updatedAt, newPoolVersion()],
    );
  }

  async update(p: UserPool): Promise<void> {
    await this.sql.run('UPDATE user_pools SET name = ?, config = ?, updated_at = ?, version = ? WHERE id = ?', [
      p.name,
      JSON.stringify(p.config),
      p.updatedAt,
      newPoolVersion(),
      p.id,
    ]);
  }

  async delete(id: string): Promise<void> {
    await this.sql.run('DELETE FROM user_pools WHERE id = ?', [id]);
  }

  /** Pools of one region in id order, after the given id. */
  async list(region: string, after: string | null, limit: number): Promise<UserPool[]> {
    const rows = await this.sql.all<Row>(
      'SELECT id, region, name, config, created_at, updated_at FROM user_pools WHERE region = ? AND id > ? ORDER BY id LIMIT ?',
      [region, after ?? '', limit],
    );
    return rows.map((r) => fromRow(r, this.parsed(r)));
  }

  async all(): Promise<UserPool[]> {
    const rows = await this.sql.all<Row>('SELECT id, region, name, config, created_at, updated_at FROM user_pools ORDER BY id');
    return rows.map((r) => fromRow(r, this.parsed(r)));
  }

  async countUsers(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM users WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }

  /** A list's settings: frozen when shared (a list is rare, so it parses anew rather than keep texts). */
  private parsed(r: Row): UserPool['config'] {
    const config = JSON.parse(r.config) as UserPool['config'];
    return this.shared ? deepFreeze(config) : config;
  }
}
