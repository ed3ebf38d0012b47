import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { App } from '../../app.ts';
import type { Clock } from '../../clock.ts';
import type { Store } from '../../store/store.ts';
import { notAuthorized } from '../../errors.ts';
import { parseJwt, signJwt, verifySignature } from '../tokens/jwt.ts';
import { MAX_TOKEN_LIFETIME_MS, type PublicJwk } from '../tokens/keys.ts';

/**
 * The identity service's OpenID tokens (GetOpenIdToken, GetOpenIdTokenForDeveloperIdentity):
 * RS256 JWTs signed by one key set for the whole service, kept in identity_signing_keys (sealed
 * like the user pools' keys) so every node signs and verifies with the same keys.
 *
 * Cognito's issuer is `https://cognito-identity.amazonaws.com`, with its discovery document and
 * `/.well-known/jwks_uri` under it. Tobira's is `<public URL>/cognito-identity` (discovery at
 * `<issuer>/.well-known/openid-configuration`, keys at `<issuer>/.well-known/jwks_uri`), so a
 * verifier finds the keys from the token alone; `--issuer aws` makes tokens carry Cognito's
 * issuer instead (then point the verifier's JWKS URI at Tobira).
 */

/** GetOpenIdToken's tokens last 10 minutes (API reference: "The OpenID token is valid for 10 minutes."). */
export const OPEN_ID_TOKEN_SECONDS = 600;
/** ...ForDeveloperIdentity's default ("If you don't provide an expiration time, the token is valid for 15 minutes.") */
export const DEVELOPER_TOKEN_DEFAULT_SECONDS = 15 * 60;
/** ...and its maximum (API reference, TokenDuration: "The maximum token duration you can set is 24 hours."). */
export const DEVELOPER_TOKEN_MAX_SECONDS = 24 * 60 * 60;

const AWS_ISSUER = 'https://cognito-identity.amazonaws.com';

/** Where the identity service lives on this server. */
export const identityServiceBase = (app: App) => `${app.publicUrl().replace(/\/+$/, '')}/cognito-identity`;

export function openIdIssuer(app: App): string {
  return app.config.issuerMode === 'aws' ? AWS_ISSUER : identityServiceBase(app);
}

export const openIdJwksUrl = (app: App) => `${identityServiceBase(app)}/.well-known/jwks_uri`;

/** The discovery document, with the members Cognito's has (its token endpoint does not exist; neither here). */
export function openIdConfiguration(app: App) {
  return {
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'amr', 'https://aws.amazon.com/tags'],
    id_token_signing_alg_values_supported: ['RS256'],
    issuer: openIdIssuer(app),
    jwks_uri: openIdJwksUrl(app),
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
  };
}

const generateRsa = promisify(generateKeyPair);

// Key generation shared by concurrent first uses in this process (per database).
const generating = new WeakMap<object, Promise<{ kid: string; privateJwk: string; publicJwk: string }>>();

async function newKey() {
  const { privateKey, publicKey } = await generateRsa('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  const pub = publicKey.export({ format: 'jwk' }) as { e: string; n: string };
  // The RFC 7638 thumbprint, as the user pools' kids (domain/tokens/keys.ts).
  const kid = createHash('sha256').update(JSON.stringify({ e: pub.e, kty: 'RSA', n: pub.n })).digest('base64');
  return { kid, privateJwk: JSON.stringify(privateKey.export({ format: 'jwk' })), publicJwk: JSON.stringify({ kty: 'RSA', n: pub.n, e: pub.e }) };
}

/** Makes the service's key on first use, outside any caller's transaction (RSA generation is slow). */
async function ensureKey(app: App): Promise<void> {
  if (await app.store.identityKeys.current()) return;
  let p = generating.get(app.store.db);
  if (!p) {
    p = newKey().finally(() => generating.delete(app.store.db));
    generating.set(app.store.db, p);
  }
  const k = await p;
  await app.store.tx(async (s) => {
    // Another request or node may have won the race; its key is as good as ours.
    if (await s.identityKeys.current()) return;
    await s.identityKeys.insert({ ...k, createdAt: app.clock.now(), retiredAt: null, expiresAt: null });
  });
}

const privateKeys = new Map<string, KeyObject>();
const publicKeys = new Map<string, KeyObject>();
function remember(cache: Map<string, KeyObject>, kid: string, key: KeyObject): KeyObject {
  if (cache.size >= 1000) cache.clear();
  cache.set(kid, key);
  return key;
}

async function currentKey(app: App): Promise<{ kid: string; key: KeyObject }> {
  let rec = await app.store.identityKeys.current();
  if (!rec) {
    await ensureKey(app);
    rec = await app.store.identityKeys.current();
    if (!rec) throw new Error('no identity-service signing key');
  }
  const key = privateKeys.get(rec.kid) ?? remember(privateKeys, rec.kid, createPrivateKey({ key: JSON.parse(rec.privateJwk), format: 'jwk' }));
  return { kid: rec.kid, key };
}

/** The service's JWKS: the current key and retired ones whose tokens may still be alive. */
export async function openIdJwks(app: App): Promise<{ keys: PublicJwk[] }> {
  await ensureKey(app);
  const keys = await app.store.identityKeys.published(app.clock.now());
  return {
    keys: keys.map((k) => {
      const { e, n } = JSON.parse(k.publicJwk) as { e: string; n: string };
      return { alg: 'RS256', e, kid: k.kid, kty: 'RSA', n, use: 'sig' };
    }),
  };
}

/**
 * Replaces the service's key. The old one stops signing at once and stays in the JWKS for a day,
 * the longest an OpenID token lives (DEVELOPER_TOKEN_MAX_SECONDS).
 */
export async function rotateOpenIdKey(env: { store: Store; clock: Clock }): Promise<string> {
  const k = await newKey();
  await env.store.tx(async (s) => {
    const now = env.clock.now();
    await s.identityKeys.retireCurrent(now, now + MAX_TOKEN_LIFETIME_MS);
    await s.identityKeys.deleteExpired(now);
    await s.identityKeys.insert({ ...k, createdAt: now, retiredAt: null, expiresAt: null });
  });
  return k.kid;
}

/** Signs an OpenID token's claims with the service's current key. */
export async function signOpenIdToken(app: App, claims: Record<string, unknown>): Promise<string> {
  const { kid, key } = await currentKey(app);
  return signJwt(claims, kid, key);
}

/**
 * Checks one of our OpenID tokens: signed by a key of the identity service still published, our
 * issuer, not expired. Answers its claims; NotAuthorizedException otherwise. The texts are STS's
 * for AssumeRoleWithWebIdentity's web identity token checks ("Invalid login token..." is
 * Cognito's prefix; the rest guessed).
 */
export async function verifyOpenIdJwt(app: App, token: string): Promise<Record<string, unknown>> {
  const jwt = parseJwt(token);
  if (!jwt || typeof jwt.header.kid !== 'string') throw notAuthorized("Invalid login token. Couldn't verify signed token.");
  const now = app.clock.now();
  const rec = await app.store.identityKeys.get(jwt.header.kid);
  if (!rec || (rec.expiresAt !== null && rec.expiresAt <= now)) throw notAuthorized("Invalid login token. Couldn't verify signed token.");
  const key = publicKeys.get(rec.kid) ?? remember(publicKeys, rec.kid, createPublicKey({ key: JSON.parse(rec.publicJwk), format: 'jwk' }));
  if (!verifySignature(jwt, key)) throw notAuthorized("Invalid login token. Couldn't verify signed token.");
  const claims = jwt.payload;
  if (claims.iss !== openIdIssuer(app)) throw notAuthorized("Invalid login token. Issuer doesn't match providerName");
  if (typeof claims.exp !== 'number' || Math.floor(now / 1000) >= claims.exp) {
    throw notAuthorized(`Invalid login token. Token expired: ${Math.floor(now / 1000)} >= ${claims.exp}`);
  }
  return claims;
}
