import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type {
  CreateResourceServerRequest,
  ResourceServerScopeType,
  ResourceServerType,
  UpdateResourceServerRequest,
} from '../../generated/cognito-idp.ts';
import { UniqueViolation } from '../../store/db.ts';
import type { ResourceServer } from '../../store/repos/resource-servers.ts';
import type { Store } from '../../store/store.ts';
import { getPool } from './user-pools.ts';

/** Cognito's quota of resource servers per user pool (cognito-quotas-and-errors.md, adjustable there). */
export const MAX_RESOURCE_SERVERS_PER_POOL = 25;

// guessed: Cognito's texts for these were not found; InvalidParameterException for a taken
// identifier is what callers test for (scripts that catch it to update instead).
const identifierTaken = (identifier: string, poolId: string) =>
  invalidParameter(`A resource server with identifier ${identifier} already exists in user pool ${poolId}.`);
// guessed
const notFound = (identifier: string, poolId: string) =>
  resourceNotFound(`Resource server ${identifier} does not exist in user pool ${poolId}.`);

export function describeResourceServer(rs: ResourceServer): ResourceServerType {
  return { UserPoolId: rs.poolId, Identifier: rs.identifier, Name: rs.name, Scopes: rs.scopes };
}

/** Scope names are unique within a server (each names `<identifier>/<name>`). */
function checkScopes(scopes: ResourceServerScopeType[]): ResourceServerScopeType[] {
  const seen = new Set<string>();
  for (const s of scopes) {
    // guessed
    if (seen.has(s.ScopeName)) throw invalidParameter(`Duplicate scope name ${s.ScopeName}.`);
    seen.add(s.ScopeName);
  }
  return scopes.map((s) => ({ ScopeName: s.ScopeName, ScopeDescription: s.ScopeDescription }));
}

export async function getResourceServer(store: Store, poolId: string, identifier: string): Promise<ResourceServer> {
  await getPool(store, poolId);
  const rs = await store.resourceServers.get(poolId, identifier);
  if (!rs) throw notFound(identifier, poolId);
  return rs;
}

export async function createResourceServer(app: App, input: CreateResourceServerRequest): Promise<ResourceServer> {
  const now = app.clock.now();
  const rs: ResourceServer = {
    poolId: input.UserPoolId,
    identifier: input.Identifier,
    name: input.Name,
    scopes: checkScopes(input.Scopes ?? []),
    createdAt: now,
    updatedAt: now,
  };
  try {
    await app.store.tx(async (s) => {
      await getPool(s, rs.poolId);
      if (await s.resourceServers.get(rs.poolId, rs.identifier)) throw identifierTaken(rs.identifier, rs.poolId);
      if ((await s.resourceServers.count(rs.poolId)) >= MAX_RESOURCE_SERVERS_PER_POOL) {
        // guessed
        throw new CognitoError(
          'LimitExceededException',
          `The user pool ${rs.poolId} has reached its limit of ${MAX_RESOURCE_SERVERS_PER_POOL} resource servers.`,
        );
      }
      await s.resourceServers.insert(rs);
    });
  } catch (err) {
    if (err instanceof UniqueViolation) throw identifierTaken(rs.identifier, rs.poolId);
    throw err;
  }
  return rs;
}

/** Replaces the name and the scopes; scopes left out mean none, as the API reference says of Update. */
export async function updateResourceServer(app: App, input: UpdateResourceServerRequest): Promise<ResourceServer> {
  const scopes = checkScopes(input.Scopes ?? []);
  return app.store.tx(async (s) => {
    const rs = await getResourceServer(s, input.UserPoolId, input.Identifier);
    rs.name = input.Name;
    rs.scopes = scopes;
    rs.updatedAt = app.clock.now();
    await s.resourceServers.update(rs);
    return rs;
  });
}

/**
 * Deletes the server. Clients that name its scopes keep them (Cognito lets the server go
 * without touching its clients: aws-cloudformation/cloudformation-coverage-roadmap#173); the
 * token endpoint no longer grants them.
 */
export async function deleteResourceServer(app: App, poolId: string, identifier: string): Promise<void> {
  await app.store.tx(async (s) => {
    await getResourceServer(s, poolId, identifier);
    await s.resourceServers.delete(poolId, identifier);
  });
}

/**
 * Every custom scope the pool defines, as `<identifier>/<scope name>`: what a client's
 * AllowedOAuthScopes may name besides the standard scopes, and what the token endpoint may grant.
 */
export async function resourceServerScopes(store: Store, poolId: string): Promise<Set<string>> {
  const scopes = new Set<string>();
  for (const rs of await store.resourceServers.all(poolId)) {
    for (const s of rs.scopes) scopes.add(`${rs.identifier}/${s.ScopeName}`);
  }
  return scopes;
}
