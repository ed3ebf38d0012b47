import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';
import type { AppClient, ClientSecret } from '../../domain/types.ts';
import { SharedJson } from '../../util/freeze.ts';

/** A user_pool_clients row. */
export interface ClientRow {
  client_id: string;
  pool_id: string;
  config: string;
  client_secret: string | null;
  created_at: number;
  updated_at: number;
  client_secret_id?: string | null;
  client_secret_created_at?: number | null;
}

interface SecretRow {
  secret_id: string;
  client_secret: string;
  created_at: number;
}

/** What a sealed client secret is bound to. */
export const sealedRow = (clientId: string) => `user_pool_clients/${clientId}`;
/** What a sealed added secret (AddUserPoolClientSecret) is bound to. */
export const sealedSecretRow = (clientId: string, secretId: string) => `user_pool_client_secrets/${clientId}/${secretId}`;

/**
 * The id of a client's first secret: `<client-id>--<epoch-create-time>`, the form Cognito's
 * ClientSecretDescriptorType documents; the epoch is in milliseconds here (the unit is guessed).
 */
export const firstSecretId = (clientId: string, createdAt: number) => `${clientId}--${createdAt}`;

const fromRow = (r: ClientRow, sealer: Sealer, shared: boolean): AppClient => ({
  clientId: r.client_id,
  poolId: r.pool_id,
  config: shared ? parsedConfigs.get(r.client_id, r.config) : JSON.parse(r.config),
  clientSecret: r.client_secret === null ? null : sealer.open(r.client_secret, sealedRow(r.client_id)),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

/**
 * Parsed client settings, as repos/pools.ts keeps pools' (GetUser reads its token's client on
 * every call); only for reads outside a transaction.
 */
const parsedConfigs = new SharedJson<AppClient['config']>();

/** An app client's settings without its secrets: what GetUser needs of the token's client (repos/pools.ts getForAccessToken). */
export type ClientSettings = Pick<AppClient, 'clientId' | 'poolId' | 'config'>;

/** The frozen, shared settings parsed from a client row's text read outside a transaction. */
export const sharedClientConfig = (clientId: string, text: string): AppClient['config'] => parsedConfigs.get(clientId, text);

export class ClientRepo {
  /** `shared`: answers carry frozen, shared settings objects (reads outside a transaction). */
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
    private readonly shared = false,
  ) {}

  private sealed(c: AppClient): string | null {
    return c.clientSecret === null ? null : this.sealer.seal(c.clientSecret, sealedRow(c.clientId));
  }

  /** The client with every current secret (AppClient.secrets). */
  async get(clientId: string): Promise<AppClient | undefined> {
    const row = await this.sql.get<ClientRow>('SELECT * FROM user_pool_clients WHERE client_id = ?', [clientId]);
    return row && this.withSecrets(row);
  }

  /** The client of a row read here or with its pool (repos/pools.ts getByClient), with every current secret. */
  async withSecrets(row: ClientRow): Promise<AppClient> {
    const clientId = row.client_id;
    const client = fromRow(row, this.sealer, this.shared);
    if (client.clientSecret === null) return client;
    const added = await this.sql.all<SecretRow>(
      'SELECT secret_id, client_secret, created_at FROM user_pool_client_secrets WHERE client_id = ? ORDER BY created_at, secret_id',
      [clientId],
    );
    const firstAt = row.client_secret_created_at == null ? client.createdAt : Number(row.client_secret_created_at);
    client.secrets = [
      { id: row.client_secret_id ?? firstSecretId(clientId, client.createdAt), value: client.clientSecret, createdAt: firstAt },
      ...added.map((r) => ({
        id: r.secret_id,
        value: this.sealer.open(r.client_secret, sealedSecretRow(clientId, r.secret_id)),
        createdAt: Number(r.created_at),
      })),
    ];
    return client;
  }

  /** Adds a secret beside the client's first (AddUserPoolClientSecret). */
  async addSecret(clientId: string, secret: ClientSecret): Promise<void> {
    await this.sql.run('INSERT INTO user_pool_client_secrets (client_id, secret_id, client_secret, created_at) VALUES (?, ?, ?, ?)', [
      clientId,
      secret.id,
      this.sealer.seal(secret.value, sealedSecretRow(clientId, secret.id)),
      secret.createdAt,
    ]);
  }

  async deleteSecret(clientId: string, secretId: string): Promise<void> {
    await this.sql.run('DELETE FROM user_pool_client_secrets WHERE client_id = ? AND secret_id = ?', [clientId, secretId]);
  }

  /** Makes `secret` the client's first (the one DescribeUserPoolClient shows), keeping its id and date. */
  async setFirstSecret(clientId: string, secret: ClientSecret): Promise<void> {
    await this.sql.run('UPDATE user_pool_clients SET client_secret = ?, client_secret_id = ?, client_secret_created_at = ? WHERE client_id = ?', [
      this.sealer.seal(secret.value, sealedRow(clientId)),
      secret.id,
      secret.createdAt,
      clientId,
    ]);
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
    const rows = await this.sql.all<ClientRow>(
      'SELECT * FROM user_pool_clients WHERE pool_id = ? AND client_id > ? ORDER BY client_id LIMIT ?',
      [poolId, after ?? '', limit],
    );
    return rows.map((r) => fromRow(r, this.sealer, this.shared));
  }

  async countInPool(poolId: string): Promise<number> {
    const r = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM user_pool_clients WHERE pool_id = ?', [poolId]);
    return Number(r?.n ?? 0);
  }
}
