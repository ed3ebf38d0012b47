import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { UniqueViolation } from '../store/db.ts';
import type { Store } from '../store/store.ts';
import type { UpdateUserPoolRequest, UserStatusType } from '../generated/cognito-idp.ts';
import type { UserPool, User } from '../domain/types.ts';
import { addCustomAttributes, createUserPool, deleteUserPool, updateUserPool } from '../domain/pools/user-pools.ts';
import { createClient, deleteClient, updateClient } from '../domain/pools/app-clients.ts';
import { addClientSecret, currentSecrets, deleteClientSecret } from '../domain/pools/client-secrets.ts';
import { createDomain, deleteDomain, updateDomain } from '../domain/pools/domains.ts';
import { createResourceServer, deleteResourceServer, updateResourceServer } from '../domain/pools/resource-servers.ts';
import { isCustomAttributeName } from '../domain/pools/schema.ts';
import { setUserPoolMfaConfig } from '../domain/mfa/pool-config.ts';
import { addUserToGroup, createGroup, deleteGroup, removeUserFromGroup, updateGroup } from '../domain/users/groups.ts';
import { adminCreateUser } from '../domain/users/user-create.ts';
import { adminDeleteUser, adminSetUserEnabled, adminSetUserPassword, adminUpdateUserAttributes } from '../domain/users/user-admin.ts';
import { findUser } from '../domain/users/users.ts';
import { verifyPassword } from '../domain/users/passwords.ts';
import { createIdentityProvider, deleteIdentityProvider, updateIdentityProvider } from '../domain/federation/identity-providers.ts';
import { createIdentityPool, deleteIdentityPool, setIdentityPoolRoles, updateIdentityPool } from '../domain/identity/identity-pools.ts';
import * as idpModel from '../generated/cognito-idp.ts';
import * as identityModel from '../generated/cognito-identity.ts';
import { ModelValidator } from '../http/validate.ts';
import { attributeMap, ConfigError, entryName, type DeclaredConfig, type DeclaredIdentityPool, type DeclaredUser, type DeclaredUserPool } from './schema.ts';

export interface Change {
  action: 'created' | 'updated' | 'deleted';
  kind: string;
  id: string;
}

export interface ApplyResult {
  changes: Change[];
  unchanged: number;
}

/**
 * Applies a declared configuration: creates what is missing, updates what differs, and deletes
 * what is not declared only with `prune` (and then only within the collections the config
 * gives). Every write goes through the same domain functions as the API, so a setting Cognito
 * refuses is refused here with Cognito's words, prefixed with the entry it came from. Logs one
 * line per change and a summary; applying the same config twice changes nothing.
 */
export async function applyDeclared(app: App, config: DeclaredConfig, opts: { prune?: boolean } = {}): Promise<ApplyResult> {
  const result: ApplyResult = { changes: [], unchanged: 0 };
  const record = (action: Change['action'], kind: string, id: string) => {
    result.changes.push({ action, kind, id });
    app.log.info({ config: { action, kind, id } }, `config: ${action} ${kind} ${id}`);
  };
  // Tobira's own format is checked strictly (an unknown key is a typo); one converted from
  // CloudFormation or cognito-local may carry members Cognito's API does not have, dropped with a warning.
  const run = new Run(app, opts.prune === true, record, () => result.unchanged++, (config.source ?? 'tobira') === 'tobira');
  for (const [i, pool] of (config.userPools ?? []).entries()) await run.pool(pool, entryName(`userPools[${i}]`, pool.Id));
  for (const [i, pool] of (config.identityPools ?? []).entries()) await run.identityPool(pool, entryName(`identityPools[${i}]`, pool.IdentityPoolId));
  if (opts.prune) await run.pruneTopLevel(config);
  const count = (a: Change['action']) => result.changes.filter((c) => c.action === a).length;
  app.log.info(
    { config: { created: count('created'), updated: count('updated'), deleted: count('deleted'), unchanged: result.unchanged, source: config.source } },
    result.changes.length ? `config applied: ${count('created')} created, ${count('updated')} updated, ${count('deleted')} deleted, ${result.unchanged} unchanged` : `config applied: no changes (${result.unchanged} entries unchanged)`,
  );
  return result;
}

/** Thrown inside a transaction to roll back a write that changed nothing. */
const NO_CHANGE = Symbol('no change');

/** JSON with sorted keys and without the record's own timestamps, to compare two states. */
function stable(v: unknown): string {
  return JSON.stringify(v, (key, value) => {
    if (key === 'createdAt' || key === 'updatedAt') return undefined;
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      return Object.fromEntries(Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]]));
    }
    return value;
  });
}

/**
 * Runs an update through its domain function inside one transaction and keeps it only if the
 * stored record changed: the domain computes what the settings become (defaults, echoes,
 * normalisation), so comparing before and after says whether the config differs.
 */
async function updateIfDiffers(app: App, read: (s: Store) => Promise<unknown>, write: (inTx: App) => Promise<unknown>): Promise<boolean> {
  try {
    await app.store.tx(async (s) => {
      const before = stable(await read(s));
      await write({ ...app, store: s });
      if (stable(await read(s)) === before) throw NO_CHANGE;
    });
    return true;
  } catch (err) {
    if (err === NO_CHANGE) return false;
    throw err;
  }
}

/** Names the failing entry: `userPools[0] (us-east-1_abc) users[2] (alice): InvalidPasswordException: ...`. */
function failed(at: string, err: unknown): Error {
  if (err instanceof ConfigError) return err;
  const what = err instanceof CognitoError ? `${err.type}: ${err.message}` : (err as Error).message;
  return new ConfigError(`config ${at}: ${what}`, { cause: err });
}

/** Cognito's answers to creating what exists: another node applying the same config got there first. */
const RACE_LOST = new Set(['UsernameExistsException', 'GroupExistsException', 'DuplicateProviderException']);
const raceLost = (err: unknown) =>
  err instanceof UniqueViolation || (err instanceof CognitoError && (RACE_LOST.has(err.type) || /already (exists|associated)|already has a domain/.test(err.message)));

/**
 * Runs one entry, naming it in any failure. Nodes sharing a database start together and apply
 * the same file: an entry that loses the race to create something is run once more, and then
 * finds it made and takes the update path. A real mistake fails again.
 */
async function guarded<T>(at: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!raceLost(err)) throw failed(at, err);
  }
  try {
    return await fn();
  } catch (err) {
    throw failed(at, err);
  }
}

/** Reads every page of a paged repository listing. */
async function all<T>(page: (after: string | null) => Promise<T[]>, keyOf: (t: T) => string): Promise<T[]> {
  const out: T[] = [];
  for (let after: string | null = null; ; ) {
    const rows = await page(after);
    out.push(...rows);
    if (rows.length < 100) return out;
    after = keyOf(rows[rows.length - 1]);
  }
}

const regionOf = (p: DeclaredUserPool) => p.Region ?? p.Id.slice(0, Math.max(0, p.Id.lastIndexOf('_')));

class Run {
  constructor(
    private readonly app: App,
    private readonly prune: boolean,
    private readonly record: (action: Change['action'], kind: string, id: string) => void,
    private readonly same: () => void,
    private readonly strict: boolean,
  ) {}

  /**
   * The request as the API would take it: members the operation does not have are refused
   * (strict) or dropped, then the model's checks run (types, lengths, patterns, enums), so a
   * config meets the same edge validation as a request, with the same InvalidParameterException.
   */
  private request<T extends object>(shape: string, input: T, at: string, service: 'idp' | 'identity' = 'idp'): T {
    const model = service === 'idp' ? idpModel.SHAPES : identityModel.SHAPES;
    const members = model[shape]?.members ?? {};
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input)) {
      if (v === undefined) continue;
      if (k in members) out[k] = v;
      else if (this.strict) throw new ConfigError(`config ${at}: unknown key "${k}" (${shape.replace(/(Request|Input)$/, '')} has no such member)`);
      else this.app.log.warn(`config ${at}: "${k}" is not a member of ${shape}; ignored`);
    }
    (service === 'idp' ? IDP_VALIDATOR : IDENTITY_VALIDATOR).validate(shape, out);
    return out as T;
  }

  private outcome(changed: boolean, kind: string, id: string): void {
    if (changed) this.record('updated', kind, id);
    else this.same();
  }

  async pool(p: DeclaredUserPool, at: string): Promise<void> {
    const app = this.app;
    const { Id, Region: _region, MfaConfig, clients, groups, users, identityProviders, domains, resourceServers, stored: _stored, ...given } = p;
    await guarded(at, async () => {
      const request = this.request('CreateUserPoolRequest', given, at);
      if (MfaConfig) this.request('SetUserPoolMfaConfigRequest', { ...MfaConfig, UserPoolId: Id }, `${at} MfaConfig`);
      const existing = await app.store.pools.get(Id);
      // A new pool's MFA configuration is part of its creation, not a change of its own.
      const createdNow = !existing;
      if (!existing) {
        // CreateUserPool turns MFA on only with SMS; with MfaConfig declared, SetUserPoolMfaConfig (below) sets the mode.
        const create = MfaConfig && !request.SmsConfiguration ? { ...request, MfaConfiguration: undefined } : request;
        await createUserPool(app, regionOf(p), create, { id: Id });
        this.record('created', 'user pool', Id);
      } else {
        // With TOTP or email MFA declared, the mode is SetUserPoolMfaConfig's (below), not UpdateUserPool's default OFF.
        const update = { ...request, UserPoolId: Id, ...(MfaConfig?.MfaConfiguration ? { MfaConfiguration: MfaConfig.MfaConfiguration } : {}) } as UpdateUserPoolRequest;
        let changed = await updateIfDiffers(app, (s) => s.pools.get(Id).then(settingsOf), (a) => updateUserPool(a, update));
        const known = new Set((existing.config.SchemaAttributes ?? []).map((a) => a.Name));
        // Only custom attributes can be added to a pool's schema, as in Cognito (AddCustomAttributes).
        const added = (request.Schema ?? []).filter((a) => a.Name && !known.has(`${a.DeveloperOnlyAttribute ? 'dev:' : ''}custom:${a.Name}`) && !known.has(a.Name) && !isCustomAttributeName(a.Name));
        if (added.length) {
          await addCustomAttributes(app, Id, added);
          changed = true;
        }
        this.outcome(changed, 'user pool', Id);
      }
      if (MfaConfig) {
        const changed = await updateIfDiffers(app, (s) => s.pools.get(Id).then(settingsOf), (a) => setUserPoolMfaConfig(a, { ...MfaConfig, UserPoolId: Id }));
        if (changed && !createdNow) this.record('updated', 'user pool MFA configuration', Id);
      }
    });
    // Providers and resource servers first: clients name them.
    if (resourceServers) await this.resourceServers(Id, resourceServers, at);
    if (identityProviders) await this.identityProviders(Id, identityProviders, at);
    if (clients) await this.clients(Id, clients, at);
    if (domains) await this.domains(Id, regionOf(p), domains, at);
    if (groups) await this.groups(Id, groups, at);
    if (users) await this.users(Id, users, at);
  }

  private async resourceServers(poolId: string, list: NonNullable<DeclaredUserPool['resourceServers']>, at: string): Promise<void> {
    const app = this.app;
    for (let [i, rs] of list.entries()) {
      const id = `${poolId}/${rs.Identifier}`;
      await guarded(entryName(`${at} resourceServers[${i}]`, rs.Identifier), async () => {
        rs = this.request('CreateResourceServerRequest', { ...rs, UserPoolId: poolId }, entryName(`${at} resourceServers[${i}]`, rs.Identifier));
        if (!(await app.store.resourceServers.get(poolId, rs.Identifier))) {
          await createResourceServer(app, { ...rs, UserPoolId: poolId });
          this.record('created', 'resource server', id);
        } else {
          this.outcome(await updateIfDiffers(app, (s) => s.resourceServers.get(poolId, rs.Identifier), (a) => updateResourceServer(a, { ...rs, UserPoolId: poolId })), 'resource server', id);
        }
      });
    }
    if (!this.prune) return;
    const declared = new Set(list.map((r) => r.Identifier));
    for (const rs of await app.store.resourceServers.all(poolId)) {
      if (declared.has(rs.identifier)) continue;
      await guarded(`${at} resourceServers`, () => deleteResourceServer(app, poolId, rs.identifier));
      this.record('deleted', 'resource server', `${poolId}/${rs.identifier}`);
    }
  }

  private async identityProviders(poolId: string, list: NonNullable<DeclaredUserPool['identityProviders']>, at: string): Promise<void> {
    const app = this.app;
    for (let [i, idp] of list.entries()) {
      const id = `${poolId}/${idp.ProviderName}`;
      await guarded(entryName(`${at} identityProviders[${i}]`, idp.ProviderName), async () => {
        idp = this.request('CreateIdentityProviderRequest', { ...idp, UserPoolId: poolId }, entryName(`${at} identityProviders[${i}]`, idp.ProviderName));
        const existing = await app.store.identityProviders.get(poolId, idp.ProviderName);
        if (!existing) {
          await createIdentityProvider(app, { ...idp, UserPoolId: poolId });
          this.record('created', 'identity provider', id);
          return;
        }
        if (existing.providerType !== idp.ProviderType) throw new ConfigError(`config ${at}: the type of identity provider ${idp.ProviderName} cannot change (${existing.providerType} to ${idp.ProviderType}); rename it`);
        const input = { UserPoolId: poolId, ProviderName: idp.ProviderName, ProviderDetails: idp.ProviderDetails, AttributeMapping: idp.AttributeMapping ?? {}, IdpIdentifiers: idp.IdpIdentifiers ?? [] };
        this.outcome(await updateIfDiffers(app, (s) => s.identityProviders.get(poolId, idp.ProviderName), (a) => updateIdentityProvider(a, input)), 'identity provider', id);
      });
    }
    if (!this.prune) return;
    const declared = new Set(list.map((x) => x.ProviderName));
    for (const idp of await all((after) => app.store.identityProviders.list(poolId, after, 100), (x) => x.providerName)) {
      if (declared.has(idp.providerName)) continue;
      await guarded(`${at} identityProviders`, () => deleteIdentityProvider(app, poolId, idp.providerName));
      this.record('deleted', 'identity provider', `${poolId}/${idp.providerName}`);
    }
  }

  private async clients(poolId: string, list: NonNullable<DeclaredUserPool['clients']>, at: string): Promise<void> {
    const app = this.app;
    for (const [i, c] of list.entries()) {
      const { ClientId, stored: _stored, ...given } = c;
      await guarded(entryName(`${at} clients[${i}]`, ClientId), async () => {
        const { ClientSecret, GenerateSecret, ...settings } = this.request('CreateUserPoolClientRequest', { ...given, UserPoolId: poolId }, entryName(`${at} clients[${i}]`, ClientId));
        const existing = await app.store.clients.get(ClientId);
        if (existing && existing.poolId !== poolId) throw new Error(`the client id ${ClientId} belongs to user pool ${existing.poolId}`);
        if (!existing) {
          await createClient(app, { ...settings, UserPoolId: poolId, ClientSecret, GenerateSecret }, { clientId: ClientId });
          this.record('created', 'app client', ClientId);
          return;
        }
        let changed = await updateIfDiffers(app, (s) => s.clients.get(ClientId).then((x) => x?.config), (a) => updateClient(a, { ...settings, UserPoolId: poolId, ClientId }));
        if ((ClientSecret !== undefined || GenerateSecret) && existing.clientSecret === null) {
          throw new Error('a secret cannot be given to an existing client without one, as in Cognito; delete the client first');
        }
        if (ClientSecret !== undefined && existing.clientSecret !== ClientSecret) {
          // Rotated as AddUserPoolClientSecret + DeleteUserPoolClientSecret would: the declared secret becomes the only one.
          await addClientSecret(app, poolId, ClientId, ClientSecret);
          const fresh = await app.store.clients.get(ClientId);
          for (const old of currentSecrets(fresh!).filter((x) => x.value !== ClientSecret)) await deleteClientSecret(app, poolId, ClientId, old.id);
          changed = true;
        }
        this.outcome(changed, 'app client', ClientId);
      });
    }
    if (!this.prune) return;
    const declared = new Set(list.map((x) => x.ClientId));
    for (const c of await all((after) => app.store.clients.list(poolId, after, 100), (x) => x.clientId)) {
      if (declared.has(c.clientId)) continue;
      await guarded(`${at} clients`, () => deleteClient(app, poolId, c.clientId));
      this.record('deleted', 'app client', c.clientId);
    }
  }

  private async domains(poolId: string, region: string, list: NonNullable<DeclaredUserPool['domains']>, at: string): Promise<void> {
    const app = this.app;
    const declared = new Set(list.map((x) => x.Domain));
    // Pruned first: a pool has one prefix domain, so a renamed one must go before its successor comes.
    if (this.prune) {
      for (const d of await app.store.domains.ofPool(poolId)) {
        if (declared.has(d.domain)) continue;
        await guarded(`${at} domains`, () => deleteDomain(app, d.region, poolId, d.domain));
        this.record('deleted', 'user pool domain', d.domain);
      }
    }
    for (let [i, d] of list.entries()) {
      await guarded(entryName(`${at} domains[${i}]`, d.Domain), async () => {
        d = this.request('CreateUserPoolDomainRequest', { ...d, UserPoolId: poolId }, entryName(`${at} domains[${i}]`, d.Domain));
        const existing = await app.store.domains.get(region, d.Domain);
        if (existing && existing.poolId !== poolId) throw new Error(`the domain ${d.Domain} belongs to user pool ${existing.poolId}`);
        if (!existing) {
          await createDomain(app, region, { ...d, UserPoolId: poolId });
          this.record('created', 'user pool domain', d.Domain);
          return;
        }
        const input = { ...d, UserPoolId: poolId, ManagedLoginVersion: d.ManagedLoginVersion ?? 1 };
        this.outcome(await updateIfDiffers(app, (s) => s.domains.get(region, d.Domain), (a) => updateDomain(a, region, input)), 'user pool domain', d.Domain);
      });
    }
  }

  private async groups(poolId: string, list: NonNullable<DeclaredUserPool['groups']>, at: string): Promise<void> {
    const app = this.app;
    for (const [i, g] of list.entries()) {
      const { stored: _stored, ...given } = g;
      await guarded(entryName(`${at} groups[${i}]`, g.GroupName), async () => {
        const { UserPoolId: _pool, ...input } = this.request('CreateGroupRequest', { ...given, UserPoolId: poolId }, entryName(`${at} groups[${i}]`, g.GroupName));
        if (!(await app.store.groups.get(poolId, g.GroupName))) {
          await createGroup(app, { ...input, UserPoolId: poolId });
          this.record('created', 'group', `${poolId}/${g.GroupName}`);
        } else {
          this.outcome(await updateIfDiffers(app, (s) => s.groups.get(poolId, g.GroupName), (a) => updateGroup(a, { ...input, UserPoolId: poolId })), 'group', `${poolId}/${g.GroupName}`);
        }
      });
    }
    if (!this.prune) return;
    const declared = new Set(list.map((x) => x.GroupName));
    for (const g of await all((after) => app.store.groups.list(poolId, after, 100), (x) => x.groupName)) {
      if (declared.has(g.groupName)) continue;
      await guarded(`${at} groups`, () => deleteGroup(app, poolId, g.groupName));
      this.record('deleted', 'group', `${poolId}/${g.groupName}`);
    }
  }

  private async users(poolId: string, list: DeclaredUser[], at: string): Promise<void> {
    const app = this.app;
    const keep = new Set<string>();
    for (const [i, u] of list.entries()) {
      const user = await guarded(entryName(`${at} users[${i}]`, u.Username), () => this.user(poolId, u));
      keep.add(user.usernameKey);
    }
    if (!this.prune) return;
    for (const user of await all((after) => app.store.users.list(poolId, null, after === null ? null : { key: after }, 100), (x) => x.usernameKey)) {
      if (keep.has(user.usernameKey)) continue;
      await guarded(`${at} users`, () => adminDeleteUser(app, poolId, user.username));
      this.record('deleted', 'user', `${poolId}/${user.username}`);
    }
  }

  private async user(poolId: string, u: DeclaredUser & { UserStatus?: UserStatusType }): Promise<User> {
    const app = this.app;
    const id = `${poolId}/${u.Username}`;
    const pool = await app.store.pools.get(poolId);
    if (!pool) throw new Error(`user pool ${poolId} does not exist`);
    const attrs = attributeMap(u);
    delete attrs.sub; // the sub is the store's to draw (import keeps it; see import.ts)
    const where = `user ${u.Username}`;
    this.request('AdminCreateUserRequest', { UserPoolId: poolId, Username: u.Username, UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })), TemporaryPassword: u.TemporaryPassword }, where);
    if (u.Password !== undefined) this.request('AdminSetUserPasswordRequest', { UserPoolId: poolId, Username: u.Username, Password: u.Password, Permanent: true }, where);
    const status = u.Status ?? u.UserStatus;
    let user = await findUser(app.store, pool, u.Username);
    let changed = false;
    const created = !user;
    if (!user) {
      user = await adminCreateUser(app, {
        UserPoolId: poolId,
        Username: u.Username,
        UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
        MessageAction: 'SUPPRESS',
        // A permanent password is set next, through AdminSetUserPassword (its own policy check).
        TemporaryPassword: u.TemporaryPassword,
      });
      this.record('created', 'user', id);
      if (u.Password !== undefined) user = await adminSetUserPassword(app, poolId, u.Username, u.Password, true);
    } else {
      const differing = Object.entries(attrs).filter(([k, v]) => user!.attributes[k] !== v);
      if (differing.length) {
        user = await adminUpdateUserAttributes(app, poolId, u.Username, differing.map(([Name, Value]) => ({ Name, Value })));
        changed = true;
      }
      // The declared password wins over one changed since; a temporary one is set at creation only.
      if (u.Password !== undefined && !(await verifyPassword(user.passwordHash, u.Password))) {
        user = await adminSetUserPassword(app, poolId, u.Username, u.Password, true);
        changed = true;
      }
    }
    if (u.PasswordHash !== undefined && user.passwordHash !== u.PasswordHash) {
      // A hash alone gives the password flows; SRP needs the verifier, which only a password (or an export) gives.
      user = await this.patch(pool, user, { passwordHash: u.PasswordHash, srpSalt: null, srpVerifier: null, tempPasswordExpiresAt: null, status: status ?? 'CONFIRMED' });
      changed = true;
    }
    if (status !== undefined && user.status !== status) {
      user = await this.patch(pool, user, { status });
      changed = true;
    }
    if (u.Enabled !== undefined && user.enabled !== u.Enabled) {
      user = await adminSetUserEnabled(app, poolId, u.Username, u.Enabled);
      changed = true;
    }
    if (u.Groups) {
      const current = new Set((await app.store.groups.ofUser(poolId, user.usernameKey)).map((g) => g.groupName));
      for (const g of u.Groups) {
        if (current.has(g)) continue;
        await addUserToGroup(app, poolId, u.Username, g);
        changed = true;
      }
      if (this.prune) {
        for (const g of current) {
          if (u.Groups.includes(g)) continue;
          await removeUserFromGroup(app, poolId, u.Username, g);
          changed = true;
        }
      }
    }
    if (created) return user;
    if (changed) this.record('updated', 'user', id);
    else this.same();
    return user;
  }

  /** Writes stored fields no API operation sets (a declared hash or status) in one transaction. */
  private async patch(pool: UserPool, user: User, fields: Partial<User>): Promise<User> {
    return this.app.store.tx(async (s) => {
      const fresh = await s.users.get(pool.id, user.usernameKey);
      if (!fresh) throw new Error(`user ${user.username} vanished`);
      Object.assign(fresh, fields, { updatedAt: this.app.clock.now() });
      await s.users.update(fresh);
      return fresh;
    });
  }

  async identityPool(p: DeclaredIdentityPool, at: string): Promise<void> {
    const app = this.app;
    const { IdentityPoolId: id, Roles, RoleMappings, stored: _stored, ...given } = p;
    const region = id.slice(0, Math.max(0, id.indexOf(':')));
    await guarded(at, async () => {
      const input = this.request('CreateIdentityPoolInput', given, at, 'identity');
      if (Roles) this.request('SetIdentityPoolRolesInput', { IdentityPoolId: id, Roles, RoleMappings }, at, 'identity');
      const createdNow = !(await app.store.identityPools.get(id));
      if (createdNow) {
        await createIdentityPool(app, region, input, { id });
        this.record('created', 'identity pool', id);
      } else {
        this.outcome(
          await updateIfDiffers(app, (s) => s.identityPools.get(id).then((x) => x && { name: x.name, config: x.config, tags: x.tags }), (a) => updateIdentityPool(a, { ...input, IdentityPoolId: id })),
          'identity pool',
          id,
        );
      }
      if (Roles) {
        const changed = await updateIfDiffers(app, (s) => s.identityPools.get(id).then((x) => x && { roles: x.roles, roleMappings: x.roleMappings }), (a) => setIdentityPoolRoles(a, { IdentityPoolId: id, Roles, RoleMappings }));
        if (changed && !createdNow) this.record('updated', 'identity pool roles', id);
      }
    });
  }

  /** With --prune: the user pools and identity pools the config does not declare (when it declares that kind at all). */
  async pruneTopLevel(config: DeclaredConfig): Promise<void> {
    const app = this.app;
    if (config.userPools) {
      const declared = new Set(config.userPools.map((p) => p.Id));
      for (const pool of await app.store.pools.all()) {
        if (declared.has(pool.id)) continue;
        await guarded(`userPools (undeclared ${pool.id})`, async () => {
          for (const d of await app.store.domains.ofPool(pool.id)) await deleteDomain(app, d.region, pool.id, d.domain);
          await deleteUserPool(app, pool.id);
        });
        this.record('deleted', 'user pool', pool.id);
      }
    }
    if (config.identityPools) {
      const declared = new Set(config.identityPools.map((p) => p.IdentityPoolId));
      const regions = new Set([app.config.region, ...config.identityPools.map((p) => p.IdentityPoolId.split(':')[0])]);
      for (const region of regions) {
        for (const pool of await all((after) => app.store.identityPools.list(region, after, 100), (x) => x.id)) {
          if (declared.has(pool.id)) continue;
          await guarded(`identityPools (undeclared ${pool.id})`, () => deleteIdentityPool(app, pool.id));
          this.record('deleted', 'identity pool', pool.id);
        }
      }
    }
  }
}

const IDP_VALIDATOR = new ModelValidator(idpModel.SHAPES);
const IDENTITY_VALIDATOR = new ModelValidator(identityModel.SHAPES, 'ValidationException');

/** What UpdateUserPool and SetUserPoolMfaConfig change of a pool: its name and settings. */
const settingsOf = (p: UserPool | undefined) => p && { name: p.name, config: p.config };
