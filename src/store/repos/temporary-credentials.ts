import type { Sql } from '../db.ts';
import { clearSealer, type Sealer } from '../sealing.ts';

/** Temporary AWS credentials minted by Tobira (domain/identity/credentials.ts). */
export interface TemporaryCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** SHA-256 (hex) of the session token: the token itself is never stored. */
  sessionTokenHash: string;
  roleArn: string;
  /** `CognitoIdentityCredentials` for GetCredentialsForIdentity, else AssumeRoleWithWebIdentity's RoleSessionName. */
  sessionName: string;
  identityId: string | null;
  identityPoolId: string | null;
  /** The session's principal tags (SetPrincipalTagAttributeMap, or the token's tags claim). */
  principalTags: Record<string, string>;
  createdAt: number;
  expiresAt: number;
}

interface Row {
  access_key_id: string;
  secret_access_key: string;
  session_token_hash: string;
  role_arn: string;
  session_name: string;
  identity_id: string | null;
  identity_pool_id: string | null;
  principal_tags: string;
  created_at: number;
  expires_at: number;
}

/** What a sealed secret key is bound to. */
export const sealedRow = (accessKeyId: string) => `temporary_credentials/${accessKeyId}`;

/** temporary_credentials: insert once, look up by access key id, swept a while after expiry. */
export class TemporaryCredentialsRepo {
  constructor(
    private readonly sql: Sql,
    private readonly sealer: Sealer = clearSealer,
  ) {}

  async insert(c: TemporaryCredentials): Promise<void> {
    await this.sql.run(
      `INSERT INTO temporary_credentials (access_key_id, secret_access_key, session_token_hash, role_arn, session_name,
         identity_id, identity_pool_id, principal_tags, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        c.accessKeyId,
        this.sealer.seal(c.secretAccessKey, sealedRow(c.accessKeyId)),
        c.sessionTokenHash,
        c.roleArn,
        c.sessionName,
        c.identityId,
        c.identityPoolId,
        JSON.stringify(c.principalTags),
        c.createdAt,
        c.expiresAt,
      ],
    );
  }

  async get(accessKeyId: string): Promise<TemporaryCredentials | undefined> {
    const r = await this.sql.get<Row>('SELECT * FROM temporary_credentials WHERE access_key_id = ?', [accessKeyId]);
    if (!r) return undefined;
    return {
      accessKeyId: r.access_key_id,
      secretAccessKey: this.sealer.open(r.secret_access_key, sealedRow(r.access_key_id)),
      sessionTokenHash: r.session_token_hash,
      roleArn: r.role_arn,
      sessionName: r.session_name,
      identityId: r.identity_id,
      identityPoolId: r.identity_pool_id,
      principalTags: JSON.parse(r.principal_tags),
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
    };
  }

  /** Deletes up to `limit` credentials that expired before `before`; returns how many. */
  async purgeExpired(before: number, limit = 1000): Promise<number> {
    const r = await this.sql.run(
      `DELETE FROM temporary_credentials WHERE access_key_id IN
         (SELECT access_key_id FROM temporary_credentials WHERE expires_at <= ? LIMIT ?)`,
      [before, limit],
    );
    return r.changes;
  }
}
