import type { App } from '../../app.ts';
import { ADMIN_SCOPE } from '../tokens/token-claims.ts';
import { groupsOfUser } from '../users/groups.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { challengeMetadata } from './client-metadata.ts';
import { triggerFunction } from './invoke.ts';
import { postAuthentication } from './post-authentication.ts';
import { preTokenGeneration, type TokenGenerationSource, type TokenOverrides } from './pre-token-generation.ts';

/**
 * The triggers between a finished sign-in and its tokens, in Cognito's order: PostAuthentication
 * (a throw: no tokens), then PreTokenGeneration (its answer shapes the tokens). Called before the
 * transaction that issues the tokens, so no function runs while the store is locked.
 */
export async function beforeSignInTokens(
  app: App,
  pool: UserPool,
  client: AppClient,
  user: User,
  a: { source: TokenGenerationSource; newDeviceUsed?: boolean; scope?: string; tokenGeneration?: boolean },
): Promise<TokenOverrides | undefined> {
  const clientMetadata = challengeMetadata();
  await postAuthentication(app, pool, { user, clientId: client.clientId, clientMetadata, newDeviceUsed: a.newDeviceUsed });
  if (a.tokenGeneration === false) return undefined;
  return tokenOverrides(app, pool, client, user, { source: a.source, scope: a.scope, clientMetadata });
}

/** PreTokenGeneration alone (refreshes), or nothing when the pool has no such trigger. */
export async function tokenOverrides(
  app: App,
  pool: UserPool,
  client: AppClient,
  user: User,
  a: { source: TokenGenerationSource; scope?: string; clientMetadata?: Record<string, string> },
): Promise<TokenOverrides | undefined> {
  if (!triggerFunction(pool, 'PreTokenGeneration')) return undefined;
  const groups = await groupsOfUser(app.store, pool.id, user.usernameKey);
  const scopes = (a.scope ?? ADMIN_SCOPE).split(' ').filter(Boolean);
  return preTokenGeneration(app, pool, { source: a.source, user, client, groups, scopes, clientMetadata: a.clientMetadata });
}
