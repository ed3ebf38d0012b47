import type { Sql } from '../db.ts';

/** SetPrincipalTagAttributeMap's settings for one provider of an identity pool. */
export interface PrincipalTagMap {
  identityPoolId: string;
  providerName: string;
  useDefaults: boolean;
  /** Tag key -> the claim whose value it takes. */
  principalTags: Record<string, string>;
  updatedAt: number;
}

interface Row {
  identity_pool_id: string;
  provider_name: string;
  use_defaults: number;
  principal_tags: string;
  updated_at: number;
}

/** principal_tag_maps, keyed by (identity pool, provider name); deleted with their pool. */
export class PrincipalTagMapRepo {
  constructor(private readonly sql: Sql) {}

  async get(identityPoolId: string, providerName: string): Promise<PrincipalTagMap | undefined> {
    const r = await this.sql.get<Row>('SELECT * FROM principal_tag_maps WHERE identity_pool_id = ? AND provider_name = ?', [identityPoolId, providerName]);
    if (!r) return undefined;
    return {
      identityPoolId: r.identity_pool_id,
      providerName: r.provider_name,
      useDefaults: Number(r.use_defaults) === 1,
      principalTags: JSON.parse(r.principal_tags),
      updatedAt: Number(r.updated_at),
    };
  }

  async put(m: PrincipalTagMap): Promise<void> {
    await this.sql.run(
      `INSERT INTO principal_tag_maps (identity_pool_id, provider_name, use_defaults, principal_tags, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (identity_pool_id, provider_name) DO UPDATE SET use_defaults = excluded.use_defaults,
         principal_tags = excluded.principal_tags, updated_at = excluded.updated_at`,
      [m.identityPoolId, m.providerName, m.useDefaults ? 1 : 0, JSON.stringify(m.principalTags), m.updatedAt],
    );
  }
}
