import { readFileSync } from 'node:fs';
import type {
  AttributeType,
  CreateIdentityProviderRequest,
  CreateResourceServerRequest,
  CreateUserPoolClientRequest,
  CreateUserPoolDomainRequest,
  CreateUserPoolRequest,
  CreateGroupRequest,
  SetUserPoolMfaConfigRequest,
  UserStatusType,
} from '../generated/cognito-idp.ts';
import type { CreateIdentityPoolInput, RoleMapping } from '../generated/cognito-identity.ts';
import { safeJsonParse } from './json.ts';
import { parseYaml } from './yaml.ts';

/**
 * Tobira's declarative format: what `tobira start --config tobira.json` applies, and what
 * `tobira export` writes and `tobira import` reads. Containers are Tobira's (lower camel case);
 * every entry is the Cognito request that creates it (PascalCase, as the AWS CLI and SDKs spell
 * it), with the id fixed, so what an operator knows from Cognito reads the same here.
 *
 * ```json
 * { "userPools": [{ "Id": "us-east-1_Example01", "PoolName": "app", "Policies": {...},
 *     "clients": [{ "ClientId": "web", "ClientName": "web", "ClientSecret": "...", "ExplicitAuthFlows": [...] }],
 *     "groups": [{ "GroupName": "admins", "Precedence": 1 }],
 *     "users": [{ "Username": "alice", "Attributes": { "email": "a@example.com" }, "Password": "...", "Groups": ["admins"] }],
 *     "identityProviders": [...], "domains": [{ "Domain": "app" }], "resourceServers": [...] }],
 *   "identityPools": [{ "IdentityPoolId": "us-east-1:<uuid>", "IdentityPoolName": "app", "Roles": {...} }],
 *   "functions": { ... } }
 * ```
 *
 * Other top-level keys (`functions`, `logDestinations` ...) belong to their own readers and are
 * left alone here. A collection left out of an entry is not managed; one given is, with
 * `--prune`, reduced to exactly its entries.
 */
export interface DeclaredConfig {
  userPools?: DeclaredUserPool[];
  identityPools?: DeclaredIdentityPool[];
  /** Where the entries came from (tobira, cognito-local, cloudformation), for the log. */
  source?: string;
}

/** CreateUserPool's request with a fixed Id; `MfaConfig` is SetUserPoolMfaConfig's (TOTP, email). */
export type DeclaredUserPool = Omit<CreateUserPoolRequest, 'PoolName'> & {
  Id: string;
  PoolName: string;
  /** The pool's region; by default the part of Id before the underscore. */
  Region?: string;
  MfaConfig?: Omit<SetUserPoolMfaConfigRequest, 'UserPoolId'>;
  clients?: DeclaredClient[];
  groups?: DeclaredGroup[];
  users?: DeclaredUser[];
  identityProviders?: Omit<CreateIdentityProviderRequest, 'UserPoolId'>[];
  domains?: Omit<CreateUserPoolDomainRequest, 'UserPoolId'>[];
  resourceServers?: Omit<CreateResourceServerRequest, 'UserPoolId'>[];
  /** Written by `tobira export` only: the stored record, for a lossless import (export.ts). */
  stored?: Record<string, unknown>;
};

/** CreateUserPoolClient's request with a fixed ClientId; ClientSecret fixes the secret too. */
export type DeclaredClient = Omit<CreateUserPoolClientRequest, 'UserPoolId'> & {
  ClientId: string;
  stored?: Record<string, unknown>;
};

export type DeclaredGroup = Omit<CreateGroupRequest, 'UserPoolId'> & { stored?: Record<string, unknown> };

export interface DeclaredUser {
  Username: string;
  /** Name -> value, or Cognito's [{Name, Value}] list. */
  Attributes?: Record<string, string> | AttributeType[];
  /** A permanent password (status CONFIRMED), checked against the pool's policy. */
  Password?: string;
  /** A temporary password (status FORCE_CHANGE_PASSWORD). */
  TemporaryPassword?: string;
  /** An argon2id hash as Tobira stores it (PHC string, `$argon2id$...`), in place of a password. */
  PasswordHash?: string;
  Status?: UserStatusType;
  Enabled?: boolean;
  Groups?: string[];
  stored?: Record<string, unknown>;
}

export type DeclaredIdentityPool = CreateIdentityPoolInput & {
  IdentityPoolId: string;
  /** SetIdentityPoolRoles: `authenticated` / `unauthenticated` -> role ARN. */
  Roles?: Record<string, string>;
  RoleMappings?: Record<string, RoleMapping>;
  stored?: Record<string, unknown>;
};

/** Thrown for a config that cannot be applied; the message names the entry. */
export class ConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** The keys each kind of entry may have besides its Cognito request's (checked, so typos show). */
const USER_KEYS = new Set(['Username', 'Attributes', 'UserAttributes', 'Password', 'TemporaryPassword', 'PasswordHash', 'Status', 'UserStatus', 'Enabled', 'Groups', 'stored']);
const POOL_COLLECTIONS = ['clients', 'groups', 'users', 'identityProviders', 'domains', 'resourceServers'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function list(where: string, v: unknown): Obj[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(`${where} must be a list`);
  return v.map((e, i) => {
    if (!isObj(e)) throw new ConfigError(`${where}[${i}] must be an object`);
    return e;
  });
}

function str(where: string, e: Obj, key: string): string {
  const v = e[key];
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${where} needs "${key}" (a string)`);
  return v;
}

/** `userPools[0] (us-east-1_abc)`: how an entry is named in messages. */
export const entryName = (path: string, id: unknown) => (typeof id === 'string' ? `${path} (${id})` : path);

/**
 * Checks the shape of a Tobira-format document (not the settings: the domain functions check
 * those when applying, with Cognito's errors). Unknown top-level keys are other readers'.
 */
export function parseDeclared(doc: unknown, where = 'the config file'): DeclaredConfig {
  if (!isObj(doc)) throw new ConfigError(`${where}: expected a JSON object`);
  const out: DeclaredConfig = { source: 'tobira' };
  if (doc.userPools !== undefined) {
    out.userPools = list(`${where}: userPools`, doc.userPools).map((p, i) => {
      const at = entryName(`userPools[${i}]`, p.Id);
      str(at, p, 'Id');
      str(at, p, 'PoolName');
      for (const c of POOL_COLLECTIONS) list(`${at} ${c}`, p[c]);
      list(`${at} clients`, p.clients).forEach((c, j) => {
        const cat = entryName(`${at} clients[${j}]`, c.ClientId);
        str(cat, c, 'ClientId');
        str(cat, c, 'ClientName');
      });
      list(`${at} groups`, p.groups).forEach((g, j) => str(`${at} groups[${j}]`, g, 'GroupName'));
      list(`${at} users`, p.users).forEach((u, j) => {
        const uat = entryName(`${at} users[${j}]`, u.Username);
        str(uat, u, 'Username');
        for (const k of Object.keys(u)) if (!USER_KEYS.has(k)) throw new ConfigError(`${uat}: unknown key "${k}"`);
        if (u.Groups !== undefined && (!Array.isArray(u.Groups) || u.Groups.some((g) => typeof g !== 'string'))) throw new ConfigError(`${uat}: "Groups" must be a list of group names`);
        const given = ['Password', 'TemporaryPassword', 'PasswordHash'].filter((k) => u[k] !== undefined);
        if (given.length > 1) throw new ConfigError(`${uat}: give only one of ${given.join(', ')}`);
        if (u.PasswordHash !== undefined && (typeof u.PasswordHash !== 'string' || !u.PasswordHash.startsWith('$argon2'))) {
          throw new ConfigError(`${uat}: "PasswordHash" must be an argon2 hash in PHC form ($argon2id$...), as Tobira stores them`);
        }
      });
      list(`${at} identityProviders`, p.identityProviders).forEach((x, j) => str(`${at} identityProviders[${j}]`, x, 'ProviderName'));
      list(`${at} domains`, p.domains).forEach((x, j) => str(`${at} domains[${j}]`, x, 'Domain'));
      list(`${at} resourceServers`, p.resourceServers).forEach((x, j) => str(`${at} resourceServers[${j}]`, x, 'Identifier'));
      return p as unknown as DeclaredUserPool;
    });
  }
  if (doc.identityPools !== undefined) {
    out.identityPools = list(`${where}: identityPools`, doc.identityPools).map((p, i) => {
      const at = entryName(`identityPools[${i}]`, p.IdentityPoolId);
      str(at, p, 'IdentityPoolId');
      str(at, p, 'IdentityPoolName');
      return p as unknown as DeclaredIdentityPool;
    });
  }
  return out;
}

/** A user's attributes as name -> value, whichever form they were given in (values as strings, as Cognito keeps them). */
export function attributeMap(u: DeclaredUser & { UserAttributes?: AttributeType[] }): Record<string, string> {
  const given = u.Attributes ?? u.UserAttributes ?? {};
  const out: Record<string, string> = {};
  if (Array.isArray(given)) for (const a of given) out[a.Name] = String(a.Value ?? '');
  else for (const [k, v] of Object.entries(given)) out[k] = String(v);
  return out;
}

/** Reads a config file: JSON (refusing prototype-polluting keys), or YAML by its .yaml / .yml name (yaml.ts's strict subset). */
export function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const yaml = /\.ya?ml$/i.test(file);
  try {
    return yaml ? parseYaml(text) : safeJsonParse(text);
  } catch (err) {
    throw new ConfigError(`the config file ${file} is not ${yaml ? 'YAML Tobira reads (yaml.ts)' : 'JSON'}: ${(err as Error).message}`);
  }
}
