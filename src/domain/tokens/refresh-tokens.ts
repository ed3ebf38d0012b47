import type { App } from '../../app.ts';
import { notAuthorized, userNotFound } from '../../errors.ts';
import type { AuthenticationResultType } from '../../generated/cognito-idp.ts';
import type { RefreshTokenRecord } from '../../store/repos/tokens.ts';
import type { Store } from '../../store/store.ts';
import { getPool } from '../pools/user-pools.ts';
import { deviceMayRefresh } from '../mfa/devices.ts';
import { issueTokens, refreshTokenHash, storeRefreshToken } from './tokens.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { tokenOverrides } from '../triggers/before-tokens.ts';
import { triggerFunction } from '../triggers/invoke.ts';
import type { TokenOverrides } from '../triggers/pre-token-generation.ts';
import type { KeyUse } from '../../store/repos/keys.ts';

/** What a valid refresh token continues: the sign-in's user, origin_jti and auth_time. */
export interface RedeemedRefreshToken {
  pool: UserPool;
  user: User;
  originJti: string;
  /** The original sign-in time (ms). */
  authTime: number;
  deviceKey?: string;
  record: RefreshTokenRecord;
  /** The kids of the keys that sign the pool's tokens now, when read with the token (outside a transaction). */
  currentKids?: Partial<Record<KeyUse, string>>;
}

// Cognito's texts (reference cognito-quotas-and-errors.md: aws-sdk-cpp#1789, aws-sdk-net#1936).
export const invalidRefreshToken = () => notAuthorized('Invalid Refresh Token.');
const revokedRefreshToken = () => notAuthorized('Refresh Token has been revoked');
const expiredRefreshToken = () => notAuthorized('Refresh Token has expired');
// Cognito's answer since January 2022; before, "Invalid Refresh Token." (aws/aws-sdk-js#4016).
const otherClientsRefreshToken = () => notAuthorized('Refresh Token has different Client');

/** Refresh-token rotation (client RefreshTokenRotation): on, and its grace period in ms. */
export function rotation(client: AppClient): { enabled: boolean; graceMs: number } {
  const r = client.config.RefreshTokenRotation;
  return { enabled: r?.Feature === 'ENABLED', graceMs: (r?.RetryGracePeriodSeconds ?? 0) * 1000 };
}

/**
 * Checks a refresh token presented by `client` (REFRESH_TOKEN_AUTH, GetTokensFromRefreshToken,
 * the refresh_token grant) and returns what it continues, or throws NotAuthorizedException with
 * Cognito's texts: "Invalid Refresh Token." (unknown), "Refresh Token has different Client"
 * (issued to another client of the pool), "Refresh Token has been revoked" (RevokeToken,
 * sign-out, disabling, or a rotated-out token past its grace period), "Refresh Token has
 * expired"; "User is disabled."; UserNotFoundException when the user is gone. Read-only: works on `store` inside or outside a transaction.
 * `clientPool`: the client's pool when the caller has read it already.
 */
export async function redeemRefreshToken(app: App, store: Store, client: AppClient, token: string, clientPool?: UserPool): Promise<RedeemedRefreshToken> {
  // Outside a transaction the token, its user and its sign-in's revocation come in one statement
  // (repos/tokens.ts). Inside one they are read one by one, the user (locked on PostgreSQL) only
  // once the token is known to be this client's.
  let rec: RefreshTokenRecord | undefined;
  let joined: Awaited<ReturnType<Store['tokens']['getForRedeem']>>;
  if (typeof token === 'string' && store.inTransaction) {
    rec = await store.tokens.getRefresh(refreshTokenHash(token));
  } else if (typeof token === 'string') {
    joined = await store.tokens.getForRedeem(refreshTokenHash(token));
    rec = joined?.record;
  }
  // A token of another pool is as unknown to this client as a made-up one.
  if (!rec || rec.poolId !== client.poolId) throw invalidRefreshToken();
  if (rec.clientId !== client.clientId) throw otherClientsRefreshToken();
  const now = app.clock.now();
  const pool = clientPool?.id === rec.poolId ? clientPool : await getPool(store, rec.poolId);
  const user = joined ? joined.user : await store.users.get(rec.poolId, rec.usernameKey);
  // Same name, other sub: the user was deleted and another created in its place.
  if (!user || user.sub !== rec.data.sub) throw userNotFound();
  // Disabling also revokes the user's tokens; a disabled user is told so first.
  if (!user.enabled) throw notAuthorized('User is disabled.');
  if (rec.revokedAt !== null) throw revokedRefreshToken();
  if (rec.data.rotatedAt !== undefined && now >= rec.data.rotatedAt + rotation(client).graceMs) throw revokedRefreshToken();
  if (rec.expiresAt <= now) throw expiredRefreshToken();
  if (user.tokensRevokedBefore !== null && rec.createdAt < user.tokensRevokedBefore) throw revokedRefreshToken();
  if (joined ? joined.originRevoked : await store.tokens.isOriginRevoked(rec.originJti)) throw revokedRefreshToken();
  return { pool, user, originJti: rec.originJti, authTime: rec.data.authTime, deviceKey: rec.data.deviceKey, record: rec, currentKids: joined?.currentKids };
}

/**
 * A whole refresh: new ID and access tokens with a new jti, the same origin_jti and auth_time,
 * and no RefreshToken, as Cognito answers REFRESH_TOKEN_AUTH. With the client's refresh-token
 * rotation on, also a new refresh token, in one transaction with retiring the presented one,
 * which keeps working for RetryGracePeriodSeconds (so a client retrying a lost answer is not
 * locked out) and is revoked after that.
 */
export async function refreshTokens(
  app: App,
  client: AppClient,
  token: string,
  /** `pool`: the client's pool, when the caller has read it already. */
  opts: { deviceKey?: string; pool?: UserPool } = {},
): Promise<AuthenticationResultType> {
  const { enabled } = rotation(client);
  // PreTokenGeneration (TokenGeneration_RefreshTokens) runs before the transaction, on a first
  // read of the token; the refresh checks it again.
  const pool = opts.pool?.id === client.poolId ? opts.pool : await getPool(app.store, client.poolId);
  let overrides: TokenOverrides | undefined;
  if (triggerFunction(pool, 'PreTokenGeneration')) {
    const first = await redeemRefreshToken(app, app.store, client, token, pool);
    overrides = await tokenOverrides(app, pool, client, first.user, { source: 'TokenGeneration_RefreshTokens' });
  }
  // Without rotation a refresh writes nothing, so it needs no transaction (one would queue every
  // refresh behind the connection's lock on SQLite, and lock the user's row on PostgreSQL). Its
  // checks read committed rows one after the other; every revocation also marks what the last of
  // them reads (the sign-in's origin_jti), so one that commits between them is seen, and one that
  // commits after them revokes the tokens returned too (race test in test/tokens.test.ts).
  const refresh = async (s: Store): Promise<AuthenticationResultType> => {
    const r = await redeemRefreshToken(app, s, client, token, pool);
    // A token bound to a device refreshes only with that DEVICE_KEY, while the device is a
    // confirmed device of the user (forgotten: no more); mfa/devices.ts.
    if (r.deviceKey && !(await deviceMayRefresh(s, r.pool.id, r.user.usernameKey, r.deviceKey, opts.deviceKey))) throw invalidRefreshToken();
    const args = { pool: r.pool, client, user: r.user, authTime: r.authTime, originJti: r.originJti, deviceKey: r.deviceKey };
    // A refresh token from the OAuth endpoints keeps its granted scopes (and version 2) in the new access token.
    const scope = r.record.data.scope;
    const oauth = scope !== undefined ? { scope, oauth: true } : {};
    const result = await issueTokens(app, s, { ...args, ...oauth, withRefreshToken: false, overrides, currentKids: r.currentKids });
    if (enabled) {
      if (r.record.data.rotatedAt === undefined) {
        await s.tokens.updateRefreshData(r.record.tokenHash, { ...r.record.data, rotatedAt: app.clock.now() });
      }
      result.RefreshToken = await storeRefreshToken(app, s, { ...args, ...(scope !== undefined ? { oauthScope: scope } : {}) });
    }
    return result;
  };
  return enabled ? app.store.tx(refresh) : refresh(app.store);
}

