import type { JWTVerifyGetKey } from 'jose';
import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized } from '../../errors.ts';
import { parseJwt, verifySignature } from '../tokens/jwt.ts';
import { verificationKey } from '../tokens/keys.ts';
import { isRevoked } from '../tokens/revocation.ts';
import { issuerFor } from '../tokens/tokens.ts';
import type { IdentityPool } from '../types.ts';
import { verifyOpenIdJwt } from './open-id-tokens.ts';

/**
 * Verifying one Logins entry of GetId, GetOpenIdToken, UnlinkIdentity (and the credentials
 * half's GetCredentialsForIdentity): which of the pool's providers its key names, and whether
 * its token is one that provider issued for this pool. Cognito's words for the failures, from
 * the live service as quoted in public issues:
 * - "Token is not from a supported provider of this identity pool." (an app client or provider
 *   the pool does not list: aws-amplify/amplify-js#2067, amazon-cognito-identity-js#153);
 * - "Invalid login token. Issuer doesn't match providerName" (amazon-cognito-identity-js#40);
 * - "Invalid login token. Couldn't verify signed token." (amazon-cognito-identity-js#91);
 * - "Invalid login token. Missing a required claim: aud" (an access token given:
 *   amazon-cognito-identity-js#7, rollthecloudinc/hedge#238);
 * - "Invalid login token. Token expired: <now> >= <exp>" (aws-sdk-ios#2570, amplify-js#14348).
 */

export interface Login {
  /** The provider as the pool spells it (the Logins key Cognito stores). */
  providerName: string;
  /** The user's id at the provider. */
  subject: string;
  claims: Record<string, unknown>;
}

/** Where Tobira's own identity service tokens are given as a login (developer-authenticated flow). */
export const COGNITO_IDENTITY_PROVIDER = 'cognito-identity.amazonaws.com';

/** Cognito's user pool provider name, `cognito-idp.<region>.amazonaws.com/<poolId>`. */
const COGNITO_IDP = /^cognito-idp\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com\/(([a-z]{2}(?:-[a-z]+)+-\d)_[0-9A-Za-z]+)$/;
const POOL_ID = /^[a-z]{2}(?:-[a-z]+)+-\d_[0-9A-Za-z]+$/;

/** The social providers a pool may list in SupportedLoginProviders. */
/** Those whose logins are OpenID Connect ID tokens. */
const OIDC_SOCIAL = new Set(['accounts.google.com', 'appleid.apple.com']);
const SOCIAL = new Set(['graph.facebook.com', 'accounts.google.com', 'www.amazon.com', 'appleid.apple.com', 'api.twitter.com', 'www.digits.com']);

const unsupported = () => notAuthorized('Token is not from a supported provider of this identity pool.');
const unverifiable = () => notAuthorized("Invalid login token. Couldn't verify signed token.");
const wrongIssuer = () => notAuthorized("Invalid login token. Issuer doesn't match providerName");
const expired = (now: number, exp: unknown) => notAuthorized(`Invalid login token. Token expired: ${now} >= ${exp}`);

const withoutScheme = (url: string) => url.replace(/^https?:\/\//, '').replace(/\/+$/, '');

/**
 * The user pool a Logins key names: Cognito's spelling, or Tobira's own issuer (`<public URL>/<poolId>`,
 * with or without its scheme), both answered with the Cognito spelling the pool's
 * CognitoIdentityProviders use.
 */
export function userPoolOfKey(app: App, key: string): { providerName: string; poolId: string } | undefined {
  const m = COGNITO_IDP.exec(key);
  if (m) return m[1] === m[3] ? { providerName: key, poolId: m[2] } : undefined;
  const base = `${withoutScheme(app.publicUrl())}/`;
  const rest = withoutScheme(key);
  if (!rest.startsWith(base)) return undefined;
  const poolId = rest.slice(base.length);
  if (!POOL_ID.test(poolId)) return undefined;
  const region = poolId.slice(0, poolId.indexOf('_'));
  return { providerName: `cognito-idp.${region}.amazonaws.com/${poolId}`, poolId };
}

/** The pool's provider names (the keys Logins, DescribeIdentity and role mappings use), for normalising LoginsToRemove. */
export function canonicalProviderName(app: App, key: string): string {
  return userPoolOfKey(app, key)?.providerName ?? key;
}

/** Verifies one Logins entry against the pool's providers. */
export async function verifyLogin(app: App, pool: IdentityPool, key: string, token: string): Promise<Login> {
  const userPool = userPoolOfKey(app, key);
  if (userPool) return verifyUserPoolLogin(app, pool, userPool.providerName, userPool.poolId, token);
  if (key === COGNITO_IDENTITY_PROVIDER) return verifyIdentityServiceLogin(app, pool, token);
  const oidc = (pool.config.OpenIdConnectProviderARNs ?? []).find((arn) => oidcUrlOfArn(arn) === key);
  if (oidc) return verifyOidcLogin(app, key, token);
  if ((pool.config.SamlProviderARNs ?? []).includes(key)) {
    // A SAMLResponse is checked against the IAM SAML provider's metadata, which Tobira does not hold.
    throw invalidParameter('Tobira does not support SAML logins for identity pools yet.');
  }
  if (pool.config.DeveloperProviderName !== undefined && key === pool.config.DeveloperProviderName) {
    // Developer user identifiers are taken from IAM-signed calls only; an end user cannot name one.
    throw notAuthorized('Token is not from a supported provider of this identity pool.'); // guessed: the same words as any unlisted provider
  }
  if (SOCIAL.has(key) && pool.config.SupportedLoginProviders && Object.hasOwn(pool.config.SupportedLoginProviders, key)) {
    const override = app.config.socialIssuers?.[key];
    if (OIDC_SOCIAL.has(key) && override) return verifySocialLogin(app, key, override, pool.config.SupportedLoginProviders[key], token);
    // Facebook's and Amazon's are access tokens checked by calling them; Google's and Apple's ID
    // tokens are verified only against an issuer the operator names (TOBIRA_SOCIAL_ISSUERS).
    throw invalidParameter(
      OIDC_SOCIAL.has(key)
        ? `Tobira verifies ${key} logins only against an issuer set in TOBIRA_SOCIAL_ISSUERS; none is set.`
        : `Tobira does not support logins from ${key} yet.`,
    );
  }
  throw unsupported();
}

/** `arn:aws:iam::<account>:oidc-provider/<host/path>` -> `<host/path>`, the provider's Logins key. */
export function oidcUrlOfArn(arn: string): string | undefined {
  const m = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(arn);
  return m ? m[1] : undefined;
}

/**
 * An ID token of a Tobira user pool: signed by the pool's ID key, its issuer, token_use id, an
 * `aud` that is an app client the identity pool lists for that user pool, not expired; with
 * ServerSideTokenCheck, also not revoked (GlobalSignOut, AdminUserGlobalSignOut, RevokeToken,
 * a disabled or deleted user), as Cognito checks with the user pool.
 */
async function verifyUserPoolLogin(app: App, pool: IdentityPool, providerName: string, userPoolId: string, token: string): Promise<Login> {
  const providers = (pool.config.CognitoIdentityProviders ?? []).filter((p) => p.ProviderName === providerName);
  if (providers.length === 0) throw unsupported();
  const jwt = parseJwt(token);
  if (!jwt || typeof jwt.header.kid !== 'string') throw unverifiable();
  const now = app.clock.now();
  const key = await verificationKey(app.store, jwt.header.kid, now);
  if (!key || !verifySignature(jwt, key.key)) throw unverifiable();
  const claims = jwt.payload;
  const userPool = await app.store.pools.get(userPoolId);
  if (key.poolId !== userPoolId || !userPool || claims.iss !== issuerFor(app, userPool)) throw wrongIssuer();
  if (claims.aud === undefined) throw notAuthorized('Invalid login token. Missing a required claim: aud');
  if (key.tokenUse !== 'id' || claims.token_use !== 'id') throw notAuthorized('Invalid login token. Not an ID token.'); // guessed
  const provider = providers.find((p) => p.ClientId === claims.aud);
  if (!provider) throw unsupported();
  const seconds = Math.floor(now / 1000);
  if (typeof claims.exp !== 'number' || seconds >= claims.exp) throw expired(seconds, claims.exp);
  if (typeof claims.sub !== 'string') throw unverifiable();
  if (provider.ServerSideTokenCheck && (await isRevoked(app.store, claims))) {
    throw notAuthorized('Invalid login token. Token has been revoked.'); // guessed
  }
  return { providerName, subject: claims.sub, claims };
}

/**
 * An OpenID token of Tobira's identity service given back as a login (the developer-authenticated
 * flow: the backend calls GetOpenIdTokenForDeveloperIdentity, the app calls
 * GetCredentialsForIdentity with `cognito-identity.amazonaws.com: <token>`). Its audience must be
 * this pool. The subject is the identity id.
 */
async function verifyIdentityServiceLogin(app: App, pool: IdentityPool, token: string): Promise<Login> {
  const claims = await verifyOpenIdJwt(app, token);
  if (claims.aud !== pool.id || typeof claims.sub !== 'string') throw unsupported();
  return { providerName: COGNITO_IDENTITY_PROVIDER, subject: claims.sub, claims };
}

/** Loopback hosts, reached over plain http (tests and local development; documented in the README). */
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(:\d+)?(\/|$)/;

/** The issuer URL of an OIDC provider's Logins key (`<host/path>`): https, or http for a loopback host. */
export const oidcIssuerOf = (key: string) => `${LOOPBACK.test(key) ? 'http' : 'https'}://${key}`;

const DISCOVERY_TTL_MS = 5 * 60 * 1000;
const FETCH_TIMEOUT_MS = 5000;
/** Discovery documents and key sets by issuer, shared by requests (jose's key set caches and refetches on an unknown kid). */
const discovered = new Map<string, { at: number; jwks: JWTVerifyGetKey; issuer: string }>();

async function keySetOf(app: App, issuer: string): Promise<{ jwks: JWTVerifyGetKey; issuer: string }> {
  // jose is loaded on first use, not at start.
  const { createRemoteJWKSet } = await import('jose');
  const now = app.clock.now();
  const hit = discovered.get(issuer);
  if (hit && now - hit.at < DISCOVERY_TTL_MS) return hit;
  let doc: { issuer?: unknown; jwks_uri?: unknown };
  try {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'error' });
    if (!res.ok) throw new Error(`discovery answered ${res.status}`);
    doc = (await res.json()) as typeof doc;
  } catch (err) {
    app.log.warn({ issuer, err: (err as Error).message }, 'OIDC discovery failed');
    // ExternalServiceException is the model's error for a provider that does not answer; the text is ours.
    throw new CognitoError('ExternalServiceException', `The OpenID Connect provider ${issuer} did not answer its discovery document.`);
  }
  if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri)) {
    throw new CognitoError('ExternalServiceException', `The OpenID Connect provider ${issuer} published no jwks_uri.`);
  }
  const jwks = createRemoteJWKSet(new URL(doc.jwks_uri), { timeoutDuration: FETCH_TIMEOUT_MS });
  const entry = { at: now, jwks, issuer: typeof doc.issuer === 'string' ? doc.issuer : issuer };
  if (discovered.size >= 1000) discovered.clear();
  discovered.set(issuer, entry);
  return entry;
}

/**
 * An ID token of an OIDC provider the pool names by IAM ARN: signature against the keys its
 * discovery document names (jose), issuer `https://<host/path>`, not expired, with `aud` and
 * `sub`. The audience is not checked against a client list: that list lives on the IAM OIDC
 * provider, which Tobira does not hold (README).
 */
async function verifyOidcLogin(app: App, key: string, token: string): Promise<Login> {
  const issuer = oidcIssuerOf(key);
  const parsed = parseJwt(token);
  if (!parsed) throw unverifiable();
  if (parsed.payload.iss !== issuer) throw wrongIssuer();
  return verifyDiscovered(app, key, issuer, token);
}

/**
 * A Google or Apple ID token, verified against the issuer the operator names for it (its
 * discovery document's issuer and keys); its audience must be the app id the pool lists for the
 * provider.
 */
async function verifySocialLogin(app: App, key: string, override: string, appId: string, token: string): Promise<Login> {
  return verifyDiscovered(app, key, override.replace(/\/+$/, ''), token, [appId]);
}

async function verifyDiscovered(app: App, key: string, base: string, token: string, audience?: string[]): Promise<Login> {
  // jose is loaded on first use, not at start.
  const { errors: joseErrors, jwtVerify } = await import('jose');
  const parsed = parseJwt(token);
  if (!parsed) throw unverifiable();
  if (parsed.payload.aud === undefined) throw notAuthorized('Invalid login token. Missing a required claim: aud');
  const { jwks, issuer } = await keySetOf(app, base);
  const now = app.clock.now();
  try {
    const { payload } = await jwtVerify(token, jwks, {
      issuer,
      ...(audience ? { audience } : {}),
      currentDate: new Date(now),
      algorithms: ['RS256', 'RS384', 'RS512', 'ES256', 'ES384', 'PS256'],
    });
    if (typeof payload.sub !== 'string') throw unverifiable();
    return { providerName: key, subject: payload.sub, claims: payload as Record<string, unknown> };
  } catch (err) {
    if (err instanceof CognitoError) throw err;
    if (err instanceof joseErrors.JWTExpired) throw expired(Math.floor(now / 1000), parsed.payload.exp);
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'iss') throw wrongIssuer();
    if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'aud') throw unsupported();
    if (err instanceof joseErrors.JWKSTimeout || (err instanceof Error && /fetch|ECONNREFUSED/i.test(err.message))) {
      throw new CognitoError('ExternalServiceException', `The OpenID Connect provider ${issuer} did not answer its key set.`);
    }
    throw unverifiable();
  }
}
