import type { Sql } from '../store/db.ts';

/** What export reads through: a database, or one read transaction on it (a consistent snapshot). */
export type Reader = Pick<Sql, 'all' | 'get'>;
import type { Sealer } from '../store/sealing.ts';
import type { UserPool } from '../domain/types.ts';
import { mfaConfigOf } from '../domain/mfa/pool-config.ts';
import { SHAPES as IDP_SHAPES } from '../generated/cognito-idp.ts';
import { SHAPES as IDENTITY_SHAPES } from '../generated/cognito-identity.ts';
import type { DeclaredClient, DeclaredGroup, DeclaredIdentityPool, DeclaredUser, DeclaredUserPool } from './schema.ts';
import { IDENTITY_POOL_TABLES, USER_POOL_TABLES, isSealed, type CopiedTable, type Row } from './tables.ts';

/**
 * What becomes of the secrets sealed at rest (client secrets, signing keys, TOTP secrets,
 * identity providers' details, per-pool secrets): `sealed` keeps them as the store holds them
 * (sealed under its master key, or clear when it has none; the importing server needs the same
 * key), `clear` opens them (the file is then as secret as the store), `omit` leaves them out
 * (import draws new client secrets and signing keys; TOTP authenticators are dropped).
 */
export type SecretsMode = 'sealed' | 'clear' | 'omit';

export interface ExportDocument {
  tobiraExport: 1;
  secrets: SecretsMode;
  userPools: DeclaredUserPool[];
  identityPools: DeclaredIdentityPool[];
}

/** Marks a client secret `--secrets omit` left out; import draws a new one. */
export const OMITTED = 'omitted';

/**
 * The store's user pools (or one) and identity pools, in the declarative format: each entry
 * readable and appliable as a config (its Cognito-shaped settings, clients, groups, users with
 * their password hashes ...) and, under `stored.rows`, the rows themselves, which `tobira import`
 * writes back unchanged, so that a round trip loses nothing. The same store gives the same
 * bytes: rows are ordered by key and nothing of the moment (no export date) is written.
 */
export async function exportState(db: Reader, sealer: Sealer, opts: { poolId?: string; secrets?: SecretsMode } = {}): Promise<ExportDocument> {
  const mode = opts.secrets ?? 'sealed';
  const poolIds = opts.poolId
    ? [opts.poolId]
    : (await db.all<{ id: string }>('SELECT id FROM user_pools ORDER BY id')).map((r) => r.id);
  if (opts.poolId && !(await db.get('SELECT id FROM user_pools WHERE id = ?', [opts.poolId]))) throw new Error(`User pool ${opts.poolId} does not exist.`);
  const userPools: DeclaredUserPool[] = [];
  for (const id of poolIds) userPools.push(poolView(await rowsOf(db, USER_POOL_TABLES, id, sealer, mode)));
  const identityPools: DeclaredIdentityPool[] = [];
  // One user pool asked for: its identity pools are not the question.
  if (!opts.poolId) {
    for (const { id } of await db.all<{ id: string }>('SELECT id FROM identity_pools ORDER BY id')) {
      identityPools.push(identityPoolView(await rowsOf(db, IDENTITY_POOL_TABLES, id, sealer, mode)));
    }
  }
  return { tobiraExport: 1, secrets: mode, userPools, identityPools };
}

type Rows = Record<string, Row[]>;

async function rowsOf(db: Reader, tables: CopiedTable[], id: string, sealer: Sealer, mode: SecretsMode): Promise<Rows> {
  const out: Rows = {};
  for (const t of tables) {
    const rows = await db.all<Row>(`SELECT * FROM ${t.table} WHERE ${t.where} ORDER BY ${t.order}`, [id]);
    const kept: Row[] = [];
    for (const r of rows) {
      const row = normalise(r);
      for (const c of Object.keys(t.fresh ?? {})) delete row[c];
      if (secrets(t, row, sealer, mode)) kept.push(row);
    }
    if (kept.length) out[t.table] = kept;
  }
  return out;
}

/** PostgreSQL and SQLite rows alike: BIGINTs as numbers (the driver parses them), no undefined. */
function normalise(r: Row): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = v === undefined ? null : typeof v === 'bigint' ? Number(v) : v;
  return out;
}

/** Applies the secrets mode to one row; false drops the row. */
function secrets(t: CopiedTable, row: Row, sealer: Sealer, mode: SecretsMode): boolean {
  for (const c of t.sealed ?? []) {
    const v = row[c.column];
    if (v === null || v === undefined) continue;
    if (mode === 'clear') row[c.column] = sealer.open(String(v), c.row(row));
    else if (mode === 'omit') {
      if (t.table === 'user_pool_clients') row[c.column] = OMITTED;
      else if (t.table === 'identity_providers') row[c.column] = JSON.stringify(withoutSecrets(JSON.parse(sealer.open(String(v), c.row(row)))));
      else if (c.required) return false;
      else row[c.column] = null;
    }
  }
  if (mode === 'omit' && t.table === 'software_tokens' && row.secret === null) return false;
  return true;
}

/** An identity provider's details without its client secret and keys (`--secrets omit`). */
function withoutSecrets(details: Record<string, string>): Record<string, string> {
  const out = { ...details };
  for (const k of Object.keys(out)) if (/secret|private_key/i.test(k)) delete out[k];
  return out;
}

const json = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v);

/** Only the members the creating request has (what is stored besides is derived state), so the view applies as a config. */
function requestOf(shapes: typeof IDP_SHAPES, shape: string, stored: Record<string, unknown>): Record<string, unknown> {
  const members = shapes[shape].members ?? {};
  return Object.fromEntries(Object.entries(stored).filter(([k]) => k in members));
}
const opened = (v: unknown) => typeof v === 'string' && !isSealed(v) && v !== OMITTED;

/** The entry of one pool: its settings as CreateUserPool takes them, its parts, and the rows. */
function poolView(rows: Rows): DeclaredUserPool {
  const p = rows.user_pools[0];
  const config = json(p.config) as UserPool['config'];
  const { SchemaAttributes, MfaFactors, AdminCreateUserConfig, ...settings } = config;
  const pool: UserPool = { id: String(p.id), region: String(p.region), name: String(p.name), config, createdAt: 0, updatedAt: 0 };
  const entry: DeclaredUserPool = { Id: pool.id, Region: pool.region, PoolName: pool.name, ...requestOf(IDP_SHAPES, 'CreateUserPoolRequest', settings) } as DeclaredUserPool;
  // The temporary password validity is in the password policy; CreateUserPool refuses it twice.
  if (AdminCreateUserConfig) {
    const { UnusedAccountValidityDays: _old, ...rest } = AdminCreateUserConfig;
    entry.AdminCreateUserConfig = rest;
  }
  // The schema as CreateUserPool takes it: custom attributes and required standard ones.
  const schema = (SchemaAttributes ?? [])
    .filter((a) => a.Name && (a.Name.includes('custom:') || (a.Required && a.Name !== 'sub')))
    .map((a) => ({ ...a, Name: a.Name!.replace(/^(dev:)?custom:/, '') }));
  if (schema.length) entry.Schema = schema;
  if (MfaFactors) entry.MfaConfig = mfaConfigOf(pool);
  const memberships = new Map<string, string[]>();
  for (const m of rows.user_groups ?? []) memberships.set(String(m.username_key), [...(memberships.get(String(m.username_key)) ?? []), String(m.group_name)]);
  entry.clients = (rows.user_pool_clients ?? []).map((c) => {
    const client = { ClientId: c.client_id, ...requestOf(IDP_SHAPES, 'CreateUserPoolClientRequest', json(c.config)) } as DeclaredClient;
    if (opened(c.client_secret)) client.ClientSecret = String(c.client_secret);
    return client;
  });
  entry.groups = (rows.groups ?? []).map((g) => {
    const group: DeclaredGroup = { GroupName: String(g.group_name) };
    if (g.description !== null) group.Description = String(g.description);
    if (g.role_arn !== null) group.RoleArn = String(g.role_arn);
    if (g.precedence !== null) group.Precedence = Number(g.precedence);
    return group;
  });
  entry.users = (rows.users ?? []).map((u) => {
    const { sub: _sub, ...attributes } = json(u.attributes) as Record<string, string>;
    const user: DeclaredUser = { Username: String(u.username), Attributes: attributes, Status: u.status as DeclaredUser['Status'], Enabled: Number(u.enabled) === 1 };
    if (u.password_hash !== null) user.PasswordHash = String(u.password_hash);
    const groups = memberships.get(String(u.username_key));
    if (groups) user.Groups = groups;
    return user;
  });
  entry.identityProviders = (rows.identity_providers ?? []).map((x) => ({
    ProviderName: String(x.provider_name),
    ProviderType: x.provider_type as never,
    ...(opened(x.provider_details) ? { ProviderDetails: json(x.provider_details) } : {}),
    AttributeMapping: json(x.attribute_mapping),
    IdpIdentifiers: json(x.idp_identifiers),
  })) as DeclaredUserPool['identityProviders'];
  entry.domains = (rows.user_pool_domains ?? []).map((d) => ({
    Domain: String(d.domain),
    ...(d.custom_domain_config !== null ? { CustomDomainConfig: json(d.custom_domain_config) } : {}),
    ...(d.managed_login_version !== null ? { ManagedLoginVersion: Number(d.managed_login_version) } : {}),
  }));
  entry.resourceServers = (rows.resource_servers ?? []).map((r) => ({ Identifier: String(r.identifier), Name: String(r.name), Scopes: json(r.scopes) }));
  entry.stored = { rows };
  return entry;
}

function identityPoolView(rows: Rows): DeclaredIdentityPool {
  const p = rows.identity_pools[0];
  return {
    IdentityPoolId: String(p.id),
    IdentityPoolName: String(p.name),
    ...requestOf(IDENTITY_SHAPES, 'CreateIdentityPoolInput', json(p.config)),
    IdentityPoolTags: json(p.tags),
    Roles: json(p.roles),
    RoleMappings: json(p.role_mappings),
    stored: { rows },
  } as unknown as DeclaredIdentityPool;
}
