import { createHash } from 'node:crypto';
import type { App } from '../../app.ts';
import type { AuthenticationResultType } from '../../generated/cognito-idp.ts';
import type { Store } from '../../store/store.ts';
import { uuid } from '../../util/ids.ts';
import { tokenValidity } from '../pools/app-clients.ts';
import { groupsOfUser } from '../users/groups.ts';
import { signJwt } from './jwt.ts';
import { signingKeys } from './keys.ts';
import type { KeyUse } from '../../store/repos/keys.ts';
import { accessTokenClaims, idTokenClaims } from './token-claims.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { applyTokenOverrides, type TokenOverrides } from '../triggers/pre-token-generation.ts';

export interface IssueTokensArgs {
  pool: UserPool;
  client: AppClient;
  user: User;
  /** When the user authenticated (ms); refreshes keep the original sign-in's auth_time. */
  authTime: number;
  /** Issue a new refresh token (sign-in) or not (REFRESH_TOKEN_AUTH without rotation). */
  withRefreshToken: boolean;
  /** The origin_jti of the sign-in a refresh continues; a new one for a fresh sign-in. */
  originJti?: string;
  /** The remembered device the sign-in used: access token `device_key`, kept with the refresh token. */
  deviceKey?: string;
  /** Access token scope; API sign-ins get `aws.cognito.signin.user.admin`. */
  scope?: string;
  /** Tokens from the OAuth endpoints: the access token carries `version: 2`. */
  oauth?: boolean;
  /** ID token nonce (hosted UI). */
  nonce?: string;
  /** The PreTokenGeneration trigger's answer (triggers/pre-token-generation.ts), asked before any transaction. */
  overrides?: TokenOverrides;
  /** Which keys sign the pool's tokens now, when the caller read them with its own data in this call (keys.ts signingKeys). */
  currentKids?: Partial<Record<KeyUse, string>>;
}

/**
 * The issuer of a pool's tokens: `<public URL>/<poolId>` (so OIDC discovery works from the token
 * alone), or Cognito's own `https://cognito-idp.<region>.amazonaws.com/<poolId>` when the server
 * runs with `--issuer aws` for applications that hard-code it.
 */
export function issuerFor(app: App, pool: Pick<UserPool, 'id' | 'region'>): string {
  if (app.config.issuerMode === 'aws') return `https://cognito-idp.${pool.region}.amazonaws.com/${pool.id}`;
  return `${app.publicUrl().replace(/\/+$/, '')}/${pool.id}`;
}

/** Where the pool's JWKS is served, whichever issuer form the tokens carry. */
export const jwksUrlFor = (app: App, poolId: string) => `${app.publicUrl().replace(/\/+$/, '')}/${poolId}/.well-known/jwks.json`;

/** Refresh tokens are kept as their SHA-256 only. */
export const refreshTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

// Cognito's refresh tokens are compact JWEs with this protected header ({"cty":"JWT","enc":
// "A256GCM","alg":"RSA-OAEP"}). Ours are random, only shaped alike: five base64url parts, so that
// code which eyeballs a refresh token sees what it expects. Nobody but us reads them.
const JWE_HEADER = 'eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ';
function newRefreshToken(app: App): string {
  const part = (n: number) => app.random.bytes(n).toString('base64url');
  return [JWE_HEADER, part(256), part(12), part(48), part(16)].join('.');
}

/**
 * Stores a new refresh token of a sign-in (origin_jti) for the client and user; returns the
 * token, which exists nowhere else afterwards.
 */
export async function storeRefreshToken(
  app: App,
  store: Store,
  a: { pool: UserPool; client: AppClient; user: User; originJti: string; authTime: number; deviceKey?: string; oauthScope?: string },
): Promise<string> {
  const token = newRefreshToken(app);
  const now = app.clock.now();
  await store.tokens.insertRefresh({
    tokenHash: refreshTokenHash(token),
    poolId: a.pool.id,
    clientId: a.client.clientId,
    usernameKey: a.user.usernameKey,
    originJti: a.originJti,
    data: {
      sub: a.user.sub,
      authTime: a.authTime,
      ...(a.deviceKey ? { deviceKey: a.deviceKey } : {}),
      ...(a.oauthScope !== undefined ? { scope: a.oauthScope } : {}),
    },
    createdAt: now,
    expiresAt: now + tokenValidity(a.client).refresh * 1000,
    revokedAt: null,
  });
  return token;
}

/**
 * Signs the ID and access tokens (and stores a refresh token) for a completed sign-in or a
 * refresh, as Cognito's AuthenticationResult: AccessToken, ExpiresIn (the access token's
 * lifetime in seconds), TokenType "Bearer", RefreshToken (sign-ins only), IdToken.
 * `store` may be a transaction's store; the signing key is read (or made) outside it.
 */
export async function issueTokens(app: App, store: Store, args: IssueTokensArgs): Promise<AuthenticationResultType> {
  const { pool, client, user } = args;
  const env = { store, clock: app.clock, config: app.config };
  const { id: idKey, access: accessKey } = await signingKeys(env, pool.id, args.currentKids);
  const groups = await groupsOfUser(store, pool.id, user.usernameKey);
  const validity = tokenValidity(client);
  const iat = Math.floor(app.clock.now() / 1000);
  const originJti = args.originJti ?? uuid(app.random);
  const input = {
    iss: issuerFor(app, pool),
    client,
    user,
    groups,
    originJti,
    eventId: uuid(app.random),
    authTime: Math.floor(args.authTime / 1000),
    iat,
    idExp: iat + validity.id,
    accessExp: iat + validity.access,
    idJti: uuid(app.random),
    accessJti: uuid(app.random),
    deviceKey: args.deviceKey,
    scope: args.scope,
    oauth: args.oauth,
    nonce: args.nonce,
  };
  const idClaims = idTokenClaims(input);
  const accessClaims = accessTokenClaims(input);
  if (args.overrides) applyTokenOverrides(idClaims, accessClaims, args.overrides);
  const result: AuthenticationResultType = {
    AccessToken: signJwt(accessClaims, accessKey.kid, accessKey.key),
    ExpiresIn: validity.access,
    TokenType: 'Bearer',
  };
  if (args.withRefreshToken) {
    result.RefreshToken = await storeRefreshToken(app, store, {
      pool,
      client,
      user,
      originJti,
      authTime: args.authTime,
      deviceKey: args.deviceKey,
      ...(args.oauth && args.scope !== undefined ? { oauthScope: args.scope } : {}),
    });
  }
  result.IdToken = signJwt(idClaims, idKey.kid, idKey.key);
  return result;
}
