import type { App } from '../../app.ts';
import { CognitoError, notAuthorized, userNotFound } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import type { KeyObject } from 'node:crypto';
import { type Claims, type ParsedJwt, parseJwt, verifySignature } from './jwt.ts';
import { deepFreeze } from '../../util/freeze.ts';
import { verificationKey, type KeyUse } from './keys.ts';
import { isRevoked, issuedBeforeSignOut } from './revocation.ts';
import { issuerFor } from './tokens.ts';
import type { User, UserPool } from '../types.ts';
import type { ClientSettings } from '../../store/repos/clients.ts';
import { usernameKey } from '../users/users.ts';

export interface VerifiedToken {
  pool: UserPool;
  claims: Claims;
}

const MESSAGES = {
  access: { invalid: 'Invalid Access Token', expired: 'Access Token has expired', revoked: 'Access Token has been revoked' },
  id: { invalid: 'Invalid ID Token', expired: 'ID Token has expired', revoked: 'ID Token has been revoked' },
} as const;

/**
 * Tokens whose signature checked out, by their exact text, with the key that checked it: an app
 * calls GetUser and the self-service operations with one access token many times, and the RS256
 * verification and parsing were a fifth of GetUser's time. Only the signature check is skipped
 * on a hit; issuer, use, expiry, the user and revocation are checked on every call. Claims are
 * frozen, being shared by the calls.
 */
const verified = new Map<string, { jwt: ParsedJwt; key: KeyObject }>();
const VERIFIED_MAX = 4096;

/** Parses `token` and checks its signature with a key of ours for `use`: its claims, and the pool of that key. */
async function verifySigned(app: App, token: string, use: KeyUse, store: Store): Promise<{ claims: Claims; poolId: string; now: number }> {
  const m = MESSAGES[use];
  const seen = verified.get(token);
  const jwt = seen?.jwt ?? parseJwt(token);
  if (!jwt || typeof jwt.header.kid !== 'string') throw notAuthorized(m.invalid);
  const now = app.clock.now();
  // The key is looked up every time (a key removed from the pool ends its tokens); the signature
  // is checked again only when this exact text was not yet checked with this very key object.
  const key = await verificationKey(store, jwt.header.kid, now);
  if (!key || key.tokenUse !== use) throw notAuthorized(m.invalid);
  if (seen?.key !== key.key) {
    if (!verifySignature(jwt, key.key)) throw notAuthorized(m.invalid);
    if (verified.size >= VERIFIED_MAX) verified.clear();
    deepFreeze(jwt.payload);
    verified.set(token, { jwt, key: key.key });
  }
  return { claims: jwt.payload, poolId: key.poolId, now };
}

/** The token's pool exists and names it as issuer, with token_use `use`, not expired. */
function checkPool(app: App, pool: UserPool | undefined, claims: Claims, use: KeyUse, now: number): asserts pool is UserPool {
  if (!pool || claims.iss !== issuerFor(app, pool) || claims.token_use !== use) throw notAuthorized(MESSAGES[use].invalid);
  if (typeof claims.exp !== 'number' || now / 1000 >= claims.exp) throw notAuthorized(MESSAGES[use].expired);
}

/**
 * Checks one of our JWTs without looking at its user: a compact RS256 JWS signed by a key of
 * ours for this token use, whose pool exists and names it as issuer, with token_use `use`, not
 * expired. Failures are NotAuthorizedException "Invalid Access Token" / "Access Token has expired"
 * (Cognito's texts; the ID-token ones are ours).
 */
export async function verifyPoolToken(app: App, token: string, use: KeyUse, store: Store = app.store): Promise<VerifiedToken> {
  const { claims, poolId, now } = await verifySigned(app, token, use, store);
  const pool = await store.pools.get(poolId);
  checkPool(app, pool, claims, use, now);
  return { pool, claims };
}

/** The access token's user is there with the token's sub ("User does not exist.") and enabled ("User is disabled."). */
function checkUser(user: User | undefined, claims: Claims): asserts user is User {
  if (!user || user.sub !== claims.sub) throw userNotFound();
  if (!user.enabled) throw notAuthorized('User is disabled.');
}

/** The last check, after revocation: a user whose password an administrator reset signs in anew. */
function checkNotReset(user: User): void {
  if (user.status === 'RESET_REQUIRED') throw new CognitoError('PasswordResetRequiredException', 'Password reset required for the user');
}

/**
 * What every token-authenticated operation (GetUser, ChangePassword, GlobalSignOut, the
 * self-service calls) starts with: the access token verified (verifyPoolToken), its user still
 * there ("User does not exist."), enabled ("User is disabled."), and the token not revoked by
 * GlobalSignOut, AdminUserGlobalSignOut, RevokeToken or AdminDisableUser ("Access Token has been
 * revoked"). Pass `store` when calling inside a transaction.
 */
export async function verifyAccessToken(
  app: App,
  token: string,
  store: Store = app.store,
): Promise<{ pool: UserPool; user: User; claims: Claims }> {
  const { pool, user, claims } = await checkAccessToken(app, token, store, false);
  return { pool, user, claims };
}

/**
 * verifyAccessToken, and the settings of the app client the token was issued to (undefined when
 * the client is gone), read in the same statement: GetUser lists the attributes its client may read.
 */
export async function verifyAccessTokenWithClient(
  app: App,
  token: string,
): Promise<{ pool: UserPool; user: User; claims: Claims; client: ClientSettings | undefined }> {
  return checkAccessToken(app, token, app.store, true);
}

async function checkAccessToken(
  app: App,
  token: string,
  store: Store,
  withClient: boolean,
): Promise<{ pool: UserPool; user: User; claims: Claims; client: ClientSettings | undefined }> {
  const { claims, poolId, now } = await verifySigned(app, token, 'access', store);
  const username = claims.username;
  const clientId = withClient && typeof claims.client_id === 'string' ? claims.client_id : null;
  if (store === app.store && typeof username === 'string') {
    // Outside a transaction, the pool, the user, the sign-in's revocation and the client are
    // read in one statement (one round trip to PostgreSQL instead of four); checked in the
    // order of the separate reads below.
    const originJti = typeof claims.origin_jti === 'string' ? claims.origin_jti : null;
    const found = await store.pools.getForAccessToken(poolId, (pool) => usernameKey(pool, username), originJti, clientId);
    checkPool(app, found?.pool, claims, 'access', now);
    const { pool, user, originRevoked, client } = found!;
    checkUser(user, claims);
    if (originRevoked || issuedBeforeSignOut(claims, user)) throw notAuthorized(MESSAGES.access.revoked);
    checkNotReset(user);
    return { pool, user, claims, client };
  }
  const pool = await store.pools.get(poolId);
  checkPool(app, pool, claims, 'access', now);
  if (typeof username !== 'string') throw notAuthorized(MESSAGES.access.invalid);
  const user = await store.users.get(pool.id, usernameKey(pool, username));
  checkUser(user, claims);
  if (await isRevoked(store, claims, user)) throw notAuthorized(MESSAGES.access.revoked);
  checkNotReset(user);
  return { pool, user, claims, client: clientId === null ? undefined : await store.clients.get(clientId) };
}
