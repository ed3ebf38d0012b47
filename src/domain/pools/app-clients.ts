import type { App } from '../../app.ts';
import { CognitoError, clientNotFound } from '../../errors.ts';
import type {
  CreateUserPoolClientRequest,
  ExplicitAuthFlowsType,
  PreventUserExistenceErrorTypes,
  UpdateUserPoolClientRequest,
  UserPoolClientType,
} from '../../generated/cognito-idp.ts';
import type { Store } from '../../store/store.ts';
import { newClientId, randomString } from '../../util/ids.ts';
import { clientSettings } from './app-client-settings.ts';
import type { AppClient, UserPool } from '../types.ts';
import { getPool } from './user-pools.ts';
import { resourceServerScopes } from './resource-servers.ts';

/** Cognito's quota of app clients per user pool (cognito-quotas-and-errors.md). */
export const MAX_CLIENTS_PER_POOL = 1000;

/** Cognito's generated secrets are 51 lower-case letters and digits. */
const SECRET_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const newClientSecret = (app: App) => randomString(app.random, 51, SECRET_ALPHABET);

/** The client, or ResourceNotFoundException "User pool client <id> does not exist." */
export async function getClient(store: Store, clientId: string): Promise<AppClient> {
  const client = await store.clients.get(clientId);
  if (!client) throw clientNotFound(clientId);
  return client;
}

/**
 * The client a call names by its ClientId alone, and the client's pool: one read outside a
 * transaction (repos/pools.ts getByClient), the client's added secrets aside.
 */
export async function getClientAndPool(store: Store, clientId: string): Promise<{ pool: UserPool; client: AppClient }> {
  if (store.inTransaction) {
    const client = await getClient(store, clientId);
    return { pool: await getPool(store, client.poolId), client };
  }
  const found = await store.pools.getByClient(clientId);
  if (!found) throw clientNotFound(clientId);
  return { pool: found.pool, client: await store.clients.withSecrets(found.client) };
}

/**
 * The client of the given pool. The pool is checked first (its own ResourceNotFound message);
 * a client of another pool is answered as if it did not exist, as Cognito does.
 */
export async function getPoolClient(store: Store, poolId: string, clientId: string): Promise<AppClient> {
  return (await getPoolAndClient(store, poolId, clientId)).client;
}

/** getPoolClient, with the pool it read. */
export async function getPoolAndClient(store: Store, poolId: string, clientId: string): Promise<{ pool: UserPool; client: AppClient }> {
  const pool = await getPool(store, poolId);
  const client = await store.clients.get(clientId);
  if (!client || client.poolId !== poolId) throw clientNotFound(clientId);
  return { pool, client };
}

/** The client as CreateUserPoolClient, DescribeUserPoolClient and UpdateUserPoolClient answer it. */
export function describeClient(client: AppClient): UserPoolClientType {
  return {
    UserPoolId: client.poolId,
    ClientName: client.config.ClientName,
    ClientId: client.clientId,
    ...(client.clientSecret !== null ? { ClientSecret: client.clientSecret } : {}),
    LastModifiedDate: client.updatedAt / 1000,
    CreationDate: client.createdAt / 1000,
    ...client.config,
  };
}

/** A client id as CreateUserPoolClient's ClientIdType allows: 1-128 of [\w+]. */
export const CLIENT_ID_PATTERN = /^[\w+]{1,128}$/;

/** CreateUserPoolClient. `opts.clientId` fixes the id instead of drawing one (src/declarative/). */
export async function createClient(app: App, input: CreateUserPoolClientRequest, opts: { clientId?: string } = {}): Promise<AppClient> {
  if (opts.clientId !== undefined && !CLIENT_ID_PATTERN.test(opts.clientId)) {
    throw new CognitoError('InvalidParameterException', `Invalid client id ${opts.clientId}: expected 1 to 128 letters, digits, _ or +.`);
  }
  const pool = await getPool(app.store, input.UserPoolId);
  const secret = input.ClientSecret ?? (input.GenerateSecret ? newClientSecret(app) : null);
  const config = clientSettings(pool, input, {
    hasSecret: secret !== null,
    op: 'create',
    identityProviders: await app.store.identityProviders.names(pool.id),
    resourceServerScopes: await resourceServerScopes(app.store, pool.id),
  });
  const now = app.clock.now();
  const client: AppClient = {
    clientId: opts.clientId ?? newClientId(app.random),
    poolId: pool.id,
    config,
    clientSecret: secret,
    createdAt: now,
    updatedAt: now,
  };
  await app.store.tx(async (s) => {
    await getPool(s, pool.id);
    if (opts.clientId !== undefined && (await s.clients.get(opts.clientId))) {
      throw new CognitoError('InvalidParameterException', `User pool client ${opts.clientId} already exists.`);
    }
    if ((await s.clients.countInPool(pool.id)) >= MAX_CLIENTS_PER_POOL) {
      throw new CognitoError('LimitExceededException', `The user pool ${pool.id} has reached its limit of ${MAX_CLIENTS_PER_POOL} app clients.`);
    }
    await s.clients.insert(client);
  });
  return client;
}

/**
 * UpdateUserPoolClient replaces every setting: one left out returns to its default, as Cognito
 * documents ("If you don't provide a value for an attribute, it will be set to the default
 * value"). The name stays when not given, and the secret always stays.
 */
export async function updateClient(app: App, input: UpdateUserPoolClientRequest): Promise<AppClient> {
  return app.store.tx(async (s) => {
    const client = await getPoolClient(s, input.UserPoolId, input.ClientId);
    const pool = await getPool(s, input.UserPoolId);
    client.config = clientSettings(
      pool,
      { ...input, ClientName: input.ClientName ?? client.config.ClientName ?? '' },
      {
        hasSecret: client.clientSecret !== null,
        op: 'update',
        identityProviders: await s.identityProviders.names(pool.id),
        resourceServerScopes: await resourceServerScopes(s, pool.id),
      },
    );
    client.updatedAt = app.clock.now();
    await s.clients.update(client);
    return client;
  });
}

export async function deleteClient(app: App, poolId: string, clientId: string): Promise<void> {
  await app.store.tx(async (s) => {
    await getPoolClient(s, poolId, clientId);
    await s.clients.delete(clientId);
  });
}

/** The ALLOW_* flows a client permits, with the legacy names translated. */
export function allowedAuthFlows(client: AppClient, opts: { lenientDefault?: boolean } = {}): Set<ExplicitAuthFlowsType> {
  const given = client.config.ExplicitAuthFlows;
  // Omitted flows: Cognito allows SRP, custom auth and refresh (its documented default), but does
  // not echo them (seed 001: no ExplicitAuthFlows in describe-user-pool-client). Tobira adds the
  // password flows unless configured strict (Config.strictAuthFlows says why).
  if (!given || given.length === 0) {
    const flows = new Set<ExplicitAuthFlowsType>(['ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    if (opts.lenientDefault) {
      flows.add('ALLOW_USER_PASSWORD_AUTH');
      flows.add('ALLOW_ADMIN_USER_PASSWORD_AUTH');
    }
    return flows;
  }
  if (given.some((f) => f.startsWith('ALLOW_'))) return new Set(given);
  // Legacy values: SRP and refresh were always on, unless CUSTOM_AUTH_FLOW_ONLY narrowed to custom auth.
  if (given.includes('CUSTOM_AUTH_FLOW_ONLY')) return new Set(['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  const flows = new Set<ExplicitAuthFlowsType>(['ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  if (given.includes('ADMIN_NO_SRP_AUTH')) flows.add('ALLOW_ADMIN_USER_PASSWORD_AUTH');
  if (given.includes('USER_PASSWORD_AUTH')) flows.add('ALLOW_USER_PASSWORD_AUTH');
  return flows;
}

/** LEGACY unless the client says ENABLED (Cognito's API default when the field is omitted). */
export const preventUserExistenceErrors = (client: AppClient): PreventUserExistenceErrorTypes =>
  client.config.PreventUserExistenceErrors ?? 'LEGACY';

const UNIT_SECONDS = { seconds: 1, minutes: 60, hours: 3600, days: 86400 } as const;

/**
 * How long the client's tokens live, in seconds. A validity given without a unit counts in
 * hours (access, ID) or days (refresh), Cognito's documented default units; an omitted one is
 * Cognito's default: 60 minutes, 60 minutes, 30 days.
 */
export function tokenValidity(client: AppClient): { access: number; id: number; refresh: number } {
  const c = client.config;
  const u = c.TokenValidityUnits ?? {};
  return {
    access: c.AccessTokenValidity ? c.AccessTokenValidity * UNIT_SECONDS[u.AccessToken ?? 'hours'] : 3600,
    id: c.IdTokenValidity ? c.IdTokenValidity * UNIT_SECONDS[u.IdToken ?? 'hours'] : 3600,
    refresh: c.RefreshTokenValidity ? c.RefreshTokenValidity * UNIT_SECONDS[u.RefreshToken ?? 'days'] : 30 * 86400,
  };
}

/** The auth session (challenge) lifetime in seconds: AuthSessionValidity minutes, 3 by default. */
export const authSessionValiditySeconds = (client: AppClient) => (client.config.AuthSessionValidity ?? 3) * 60;
