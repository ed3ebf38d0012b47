import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';

/** One identity of an identity pool, as stored in identities (its logins are rows of identity_logins). */
export interface IdentityRecord {
  id: string;
  poolId: string;
  /** The last login was unlinked: the identity is kept (ListIdentities shows it) but no one may use it. */
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

/** One login linked to an identity: the provider's name as the pool spells it and the user's id there. */
export interface LoginRecord {
  provider: string;
  subject: string;
  identityId: string;
  createdAt: number;
}

interface IdentityRow {
  id: string;
  pool_id: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

interface LoginRow {
  provider: string;
  subject: string;
  identity_id: string;
  created_at: number;
}

const identityFromRow = (r: IdentityRow): IdentityRecord => ({
  id: r.id,
  poolId: r.pool_id,
  disabled: Number(r.disabled) === 1,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const loginFromRow = (r: LoginRow): LoginRecord => ({
  provider: r.provider,
  subject: r.subject,
  identityId: r.identity_id,
  createdAt: Number(r.created_at),
});

/** Identities and their logins (cognito-identity). Callers that read and write do so in one transaction. */
export class IdentityRepo {
  constructor(private readonly sql: Sql) {}

  async get(id: string): Promise<IdentityRecord | undefined> {
    const row = await this.sql.get<IdentityRow>('SELECT * FROM identities WHERE id = ?', [id]);
    return row && identityFromRow(row);
  }

  async insert(i: IdentityRecord): Promise<void> {
    await this.sql.run('INSERT INTO identities (id, pool_id, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
      i.id,
      i.poolId,
      i.disabled ? 1 : 0,
      i.createdAt,
      i.updatedAt,
    ]);
  }

  async update(i: IdentityRecord): Promise<void> {
    await this.sql.run('UPDATE identities SET disabled = ?, updated_at = ? WHERE id = ?', [i.disabled ? 1 : 0, i.updatedAt, i.id]);
  }

  /** True when an identity was deleted; its logins go with it. */
  async delete(id: string): Promise<boolean> {
    await this.sql.run('DELETE FROM identity_logins WHERE identity_id = ?', [id]);
    return (await this.sql.run('DELETE FROM identities WHERE id = ?', [id])).changes > 0;
  }

  /** A pool's identities in id order after `after`; without the disabled ones when asked. */
  async list(poolId: string, after: string | null, limit: number, hideDisabled: boolean): Promise<IdentityRecord[]> {
    const rows = await this.sql.all<IdentityRow>(
      `SELECT * FROM identities WHERE pool_id = ? AND id > ?${hideDisabled ? ' AND disabled = 0' : ''} ORDER BY id LIMIT ?`,
      [poolId, after ?? '', limit],
    );
    return rows.map(identityFromRow);
  }

  /** The logins of an identity, oldest first. */
  async logins(identityId: string): Promise<LoginRecord[]> {
    const rows = await this.sql.all<LoginRow>(
      'SELECT provider, subject, identity_id, created_at FROM identity_logins WHERE identity_id = ? ORDER BY created_at, provider, subject',
      [identityId],
    );
    return rows.map(loginFromRow);
  }

  /** The identity a login is linked to in a pool, if any. */
  async findLogin(poolId: string, provider: string, subject: string): Promise<LoginRecord | undefined> {
    const row = await this.sql.get<LoginRow>(
      'SELECT provider, subject, identity_id, created_at FROM identity_logins WHERE pool_id = ? AND provider = ? AND subject = ?',
      [poolId, provider, subject],
    );
    return row && loginFromRow(row);
  }

  /** Links a login to an identity, or moves it there when it is linked elsewhere (merges). */
  async link(poolId: string, login: LoginRecord): Promise<void> {
    await this.sql.run(
      `INSERT INTO identity_logins (pool_id, provider, subject, identity_id, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pool_id, provider, subject) DO UPDATE SET identity_id = excluded.identity_id`,
      [poolId, login.provider, login.subject, login.identityId, login.createdAt],
    );
  }

  /** Unlinks logins of one identity: one user of a provider, or every user of it when `subject` is absent. */
  async unlink(identityId: string, provider: string, subject?: string): Promise<number> {
    const r =
      subject === undefined
        ? await this.sql.run('DELETE FROM identity_logins WHERE identity_id = ? AND provider = ?', [identityId, provider])
        : await this.sql.run('DELETE FROM identity_logins WHERE identity_id = ? AND provider = ? AND subject = ?', [identityId, provider, subject]);
    return r.changes;
  }
}

/** One RS256 key of the identity service (GetOpenIdToken), as stored in identity_signing_keys. */
export interface IdentityKeyRecord {
  kid: string;
  /** Private key as JWK JSON; sealed under the master key at rest when there is one. */
  privateJwk: string;
  publicJwk: string;
  createdAt: number;
  retiredAt: number | null;
  expiresAt: number | null;
}

interface KeyRow {
  kid: string;
  private_jwk: string;
  public_jwk: string;
  created_at: number;
  retired_at: number | null;
  expires_at: number | null;
}

/** What a sealed identity-service key is bound to. */
export const sealedRow = (kid: string) => `identity_signing_keys/${kid}`;

const num = (v: number | null) => (v === null || v === undefined ? null : Number(v));

/** The identity service's signing keys: one current, retired ones published until their tokens expire. */
export class IdentityKeyRepo {
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
  ) {}

  private fromRow(r: KeyRow): IdentityKeyRecord {
    return {
      kid: r.kid,
      privateJwk: this.sealer.open(r.private_jwk, sealedRow(r.kid)),
      publicJwk: r.public_jwk,
      createdAt: Number(r.created_at),
      retiredAt: num(r.retired_at),
      expiresAt: num(r.expires_at),
    };
  }

  async current(): Promise<IdentityKeyRecord | undefined> {
    const row = await this.sql.get<KeyRow>('SELECT * FROM identity_signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid DESC LIMIT 1');
    return row && this.fromRow(row);
  }

  async get(kid: string): Promise<IdentityKeyRecord | undefined> {
    const row = await this.sql.get<KeyRow>('SELECT * FROM identity_signing_keys WHERE kid = ?', [kid]);
    return row && this.fromRow(row);
  }

  async published(now: number): Promise<IdentityKeyRecord[]> {
    const rows = await this.sql.all<KeyRow>(
      'SELECT * FROM identity_signing_keys WHERE expires_at IS NULL OR expires_at > ? ORDER BY created_at, kid',
      [now],
    );
    return rows.map((r) => this.fromRow(r));
  }

  async insert(k: IdentityKeyRecord): Promise<void> {
    // The kid is the key's thumbprint: a concurrent first use inserting the same key is a no-op.
    await this.sql.run(
      `INSERT INTO identity_signing_keys (kid, private_jwk, public_jwk, created_at, retired_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kid) DO NOTHING`,
      [k.kid, this.sealer.seal(k.privateJwk, sealedRow(k.kid)), k.publicJwk, k.createdAt, k.retiredAt, k.expiresAt],
    );
  }

  async retireCurrent(now: number, expiresAt: number): Promise<number> {
    const r = await this.sql.run('UPDATE identity_signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL', [now, expiresAt]);
    return r.changes;
  }

  async deleteExpired(before: number): Promise<number> {
    const r = await this.sql.run('DELETE FROM identity_signing_keys WHERE expires_at IS NOT NULL AND expires_at <= ?', [before]);
    return r.changes;
  }
}
