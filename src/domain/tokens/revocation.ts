import type { App } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import { getClient } from '../pools/app-clients.ts';
import { matchesAnySecret } from '../pools/client-secrets.ts';
import type { Claims } from './jwt.ts';
import { MAX_TOKEN_LIFETIME_MS } from './keys.ts';
import { refreshTokenHash } from './tokens.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { usernameKey } from '../users/users.ts';

/**
 * Token revocation. Cognito's JWTs stay valid for JWT libraries until they expire; revocation
 * only counts where Cognito itself checks a token (its token-authenticated operations, refresh,
 * userInfo) and in our gateway. Two marks, both in the store so every node sees them:
 * - users.tokens_revoked_before: every token of the user issued before it (GlobalSignOut,
 *   AdminUserGlobalSignOut, AdminDisableUser);
 * - revoked_tokens by origin_jti: every ID and access token of one sign-in and its refreshes
 *   (RevokeToken, and each live sign-in at a global sign-out).
 */

/** Start of the second `ms` falls in: JWTs carry iat in whole seconds. */
const secondStart = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Signs a user out everywhere: revokes all their refresh tokens and every ID and access token
 * issued so far. A token issued later in the same second (a new sign-in right after) stays
 * valid: the cut-off is the second's start, and the sign-ins of that second are revoked by
 * origin_jti instead. Also sets `user.tokensRevokedBefore` on the object passed, so a caller that
 * saves its user record afterwards (AdminDisableUser) keeps the mark. Joins the caller's
 * transaction when `store` is one.
 */
export async function revokeAllForUser(store: Store, pool: UserPool, user: User, now: number): Promise<void> {
  const cutoff = Math.max(user.tokensRevokedBefore ?? 0, secondStart(now));
  user.tokensRevokedBefore = cutoff;
  await store.tx(async (s) => {
    for (const origin of await s.tokens.liveOriginsOfUser(pool.id, user.usernameKey, now)) {
      await s.tokens.revokeOrigin(origin, pool.id, now, now + MAX_TOKEN_LIFETIME_MS);
    }
    await s.tokens.revokeRefreshOfUser(pool.id, user.usernameKey, now);
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (fresh && (fresh.tokensRevokedBefore ?? 0) < cutoff) {
      fresh.tokensRevokedBefore = cutoff;
      await s.users.update(fresh);
    }
  });
}

/**
 * Whether a verified token (ID or access) of ours has been revoked: its sign-in revoked by
 * origin_jti, or issued before the user's tokens_revoked_before, or its user gone. For the
 * gateway and other verifiers; pass the user when it is already loaded.
 */
export async function isRevoked(store: Store, claims: Claims, user?: User): Promise<boolean> {
  if (typeof claims.origin_jti === 'string' && (await store.tokens.isOriginRevoked(claims.origin_jti))) return true;
  // A client_credentials token (sub = client_id, no user) lives as long as its client does.
  if (!user && claims.username === undefined && typeof claims.client_id === 'string' && claims.sub === claims.client_id) {
    return (await store.clients.get(claims.client_id)) === undefined;
  }
  if (!user) {
    const poolId = typeof claims.iss === 'string' ? claims.iss.slice(claims.iss.lastIndexOf('/') + 1) : '';
    const username = claims.username ?? claims['cognito:username'];
    const pool = await store.pools.get(poolId);
    if (!pool || typeof username !== 'string') return true;
    user = await store.users.get(pool.id, usernameKey(pool, username));
    if (!user || user.sub !== claims.sub) return true;
  }
  return issuedBeforeSignOut(claims, user);
}

/** Whether a token was issued before its user's tokens_revoked_before (a global sign-out or AdminDisableUser). */
export function issuedBeforeSignOut(claims: Claims, user: User): boolean {
  const iat = typeof claims.iat === 'number' ? claims.iat * 1000 : 0;
  return user.tokensRevokedBefore !== null && iat < user.tokensRevokedBefore;
}

/** A JWT (three dot-separated parts); RevokeToken takes refresh tokens only. */
const looksLikeJwt = (token: string) => token.split('.').length === 3;

/** Whether `given` is one of the client's current secrets (compared in constant time; pools/client-secrets.ts). */
export function clientSecretMatches(client: AppClient, given: string | undefined): boolean {
  return matchesAnySecret(client, given);
}

/**
 * RevokeToken: revokes a refresh token and every ID and access token of the same sign-in
 * (origin_jti), including those minted by earlier refreshes. The client must allow it
 * (EnableTokenRevocation) and prove its secret when it has one. An unknown token is accepted
 * silently (RFC 7009 answers so, and it tells a caller nothing). Error texts are ours: no real
 * Cognito text for these cases is in our sources.
 */
export async function revokeRefreshToken(app: App, clientId: string, token: string, clientSecret?: string): Promise<void> {
  const client = await getClient(app.store, clientId);
  if (client.clientSecret !== null) {
    if (!clientSecret) throw new CognitoError('UnauthorizedException', `Client ${clientId} is configured with secret but ClientSecret was not received`);
    if (!clientSecretMatches(client, clientSecret)) throw new CognitoError('UnauthorizedException', `Unable to verify client secret for client ${clientId}`);
  }
  if (client.config.EnableTokenRevocation === false) {
    throw new CognitoError('UnsupportedOperationException', 'Token revocation is not enabled for this app client.');
  }
  if (looksLikeJwt(token)) throw new CognitoError('UnsupportedTokenTypeException', 'Only refresh tokens can be revoked.');
  const now = app.clock.now();
  await app.store.tx(async (s) => {
    const rec = await s.tokens.getRefresh(refreshTokenHash(token));
    if (!rec) return;
    if (rec.clientId !== client.clientId) throw new CognitoError('UnauthorizedException', 'The token was not issued to this client.');
    await s.tokens.revokeRefreshByOrigin(rec.originJti, now);
    await s.tokens.revokeOrigin(rec.originJti, rec.poolId, now, now + MAX_TOKEN_LIFETIME_MS);
  });
}
