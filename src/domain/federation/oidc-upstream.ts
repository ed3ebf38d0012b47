import { createHash, createPrivateKey } from 'node:crypto';
import type { createRemoteJWKSet } from 'jose';
import type { App } from '../../app.ts';
import type { IdentityProvider } from '../types.ts';
import { sameSecret } from '../../hosted-ui/artifact-hash.ts';
import type { UpstreamIdentity } from './federated-users.ts';

/**
 * The upstream leg of an OIDC or social sign-in (Google, Facebook, Login with Amazon, Sign in
 * with Apple in their OAuth 2.0 / OIDC forms): where the browser goes, the code exchange, the ID
 * token's checks and the user info. Every endpoint is the provider's ProviderDetails
 * (authorize_url, token_url, attributes_url, oidc_issuer, jwks_uri), so a test provider can stand
 * in for any of them; what an OIDC provider leaves out comes from its discovery document.
 */

/** Why the upstream leg failed, in the words that go to the app as error_description. */
export class UpstreamError extends Error {
  constructor(readonly description: string) {
    super(description);
    this.name = 'UpstreamError';
  }
}

// How long Tobira waits for an upstream endpoint, and the most it reads from one.
const TIMEOUT_MS = 10_000;
const MAX_BODY = 1024 * 1024;
// Discovery documents and key sets are kept a while, as every relying party does.
const CACHE_MS = 5 * 60 * 1000;

interface Endpoints {
  authorizeUrl: string;
  tokenUrl: string;
  tokenMethod: 'GET' | 'POST';
  attributesUrl?: string;
  attributesMethod: 'GET' | 'POST';
  /** Set when the provider signs ID tokens: the issuer they must carry and where its keys are. */
  issuer?: string;
  jwksUri?: string;
}

const discoveries = new Map<string, { at: number; doc: Record<string, unknown> }>();
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

/** `<ProviderName> Error - <status> <error>`: how Cognito relays an IdP's refusal (cognito-protocols.md 3.7). */
const relayed = (provider: IdentityProvider, status: number | string, detail?: string) =>
  new UpstreamError(`${provider.providerName} Error - ${status}${detail ? ` ${detail}` : ''}`);

/** The body as text, or '' when it is longer than MAX_BODY or cannot be read (the rest is not read). */
async function readLimited(res: Response): Promise<string> {
  if (Number(res.headers.get('content-length') ?? 0) > MAX_BODY || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    return '';
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      // Leaving the loop ends the iterator, which cancels the stream.
      if (size > MAX_BODY) return '';
      chunks.push(chunk);
    }
  } catch {
    return '';
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A call to the provider, with a timeout and a size limit; non-2xx and unreadable answers become UpstreamError. */
async function call(provider: IdentityProvider, url: string, init: RequestInit = {}): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    // guessed: the words for an IdP that does not answer.
    throw relayed(provider, (err as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable');
  }
  const text = await readLimited(res);
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const obj = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  if (!res.ok) {
    const code = obj && typeof obj.error === 'string' ? obj.error.slice(0, 100) : undefined;
    throw relayed(provider, res.status, code);
  }
  if (!obj) throw relayed(provider, res.status, 'unreadable response');
  return obj;
}

async function discovery(provider: IdentityProvider, issuer: string, now: number): Promise<Record<string, unknown>> {
  const hit = discoveries.get(issuer);
  if (hit && now - hit.at < CACHE_MS) return hit.doc;
  const doc = await call(provider, `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
  discoveries.set(issuer, { at: now, doc });
  return doc;
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);

/** The provider's endpoints: its ProviderDetails, completed from discovery for an OIDC issuer. */
export async function upstreamEndpoints(app: App, provider: IdentityProvider): Promise<Endpoints> {
  const d = provider.providerDetails;
  const issuer = str(d.oidc_issuer);
  let doc: Record<string, unknown> = {};
  const needsDiscovery = issuer && (!d.authorize_url || !d.token_url || !d.jwks_uri || (provider.providerType === 'OIDC' && !d.attributes_url));
  if (needsDiscovery) doc = await discovery(provider, issuer, app.clock.now());
  const authorizeUrl = str(d.authorize_url) ?? str(doc.authorization_endpoint);
  const tokenUrl = str(d.token_url) ?? str(doc.token_endpoint);
  if (!authorizeUrl || !tokenUrl) throw relayed(provider, 'configuration', 'no authorize or token endpoint');
  return {
    authorizeUrl,
    tokenUrl,
    tokenMethod: d.token_request_method === 'GET' ? 'GET' : 'POST',
    attributesUrl: str(d.attributes_url) ?? str(doc.userinfo_endpoint),
    attributesMethod: d.attributes_request_method === 'POST' ? 'POST' : 'GET',
    ...(issuer ? { issuer: str(doc.issuer) ?? issuer, jwksUri: str(d.jwks_uri) ?? str(doc.jwks_uri) } : {}),
  };
}

/** PKCE for the providers that speak OIDC (RFC 7636 S256). */
const usesPkce = (provider: IdentityProvider) => provider.providerType === 'OIDC' || provider.providerType === 'Google';

export const pkceChallenge = (verifier: string) => createHash('sha256').update(verifier, 'ascii').digest('base64url');

/** Sign in with Apple's scopes name and email come back only by form_post. */
export const usesFormPost = (provider: IdentityProvider) => provider.providerType === 'SignInWithApple' && /\b(name|email)\b/.test(provider.providerDetails.authorize_scopes ?? '');

/** What the upstream leg keeps between the redirect and the answer (in the parked request). */
export interface UpstreamSecrets {
  nonce: string;
  verifier: string;
  redirectUri: string;
}

/** The provider's authorization URL for this sign-in: code flow, state, nonce, PKCE where it fits. */
export async function upstreamAuthorizeUrl(app: App, provider: IdentityProvider, state: string, s: UpstreamSecrets): Promise<string> {
  const ep = await upstreamEndpoints(app, provider);
  const url = new URL(ep.authorizeUrl);
  const q = url.searchParams;
  q.set('response_type', 'code');
  q.set('client_id', provider.providerDetails.client_id ?? '');
  q.set('redirect_uri', s.redirectUri);
  // Facebook lists its scopes with commas, the others with spaces; each is sent as configured.
  q.set('scope', (provider.providerDetails.authorize_scopes ?? '').trim().replace(/\s*,\s*/g, ','));
  q.set('state', state);
  if (ep.issuer) q.set('nonce', s.nonce);
  if (usesPkce(provider)) {
    q.set('code_challenge', pkceChallenge(s.verifier));
    q.set('code_challenge_method', 'S256');
  }
  if (usesFormPost(provider)) q.set('response_mode', 'form_post');
  return url.href;
}

/** Sign in with Apple's client secret: a short ES256 JWT signed with the team's key (Apple's documented form). */
async function appleClientSecret(app: App, provider: IdentityProvider): Promise<string> {
  // jose is loaded on first use, not at start.
  const { SignJWT } = await import('jose');
  const d = provider.providerDetails;
  const now = Math.floor(app.clock.now() / 1000);
  try {
    return await new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: d.key_id })
      .setIssuer(d.team_id ?? '')
      .setSubject(d.client_id ?? '')
      .setAudience(d.oidc_issuer ?? 'https://appleid.apple.com')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(createPrivateKey(d.private_key ?? ''));
  } catch {
    throw relayed(provider, 'configuration', 'unusable private_key');
  }
}

/** Top-level claims and attributes as strings (objects as JSON), as attribute mapping reads them. */
function flatten(o: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === null || v === undefined || k === '__proto__') continue;
    out[k] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  }
  return out;
}

/** Checks the upstream ID token: signature by the provider's keys, issuer, audience (our client_id), expiry, nonce. */
async function verifyIdToken(app: App, provider: IdentityProvider, ep: Endpoints, idToken: string, nonce: string): Promise<Record<string, unknown>> {
  // jose is loaded on first use, not at start.
  const { createRemoteJWKSet, errors: joseErrors, jwtVerify } = await import('jose');
  if (!ep.jwksUri) throw relayed(provider, 'configuration', 'no jwks_uri');
  let jwks = keySets.get(ep.jwksUri);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(ep.jwksUri), { timeoutDuration: TIMEOUT_MS, cacheMaxAge: CACHE_MS });
    keySets.set(ep.jwksUri, jwks);
  }
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(idToken, jwks, { currentDate: new Date(app.clock.now()), clockTolerance: 60 }));
  } catch (err) {
    // guessed: Cognito's words for a token it cannot verify.
    if (err instanceof joseErrors.JWKSTimeout) throw relayed(provider, 'timeout');
    if (!(err instanceof joseErrors.JOSEError)) throw relayed(provider, 'jwks', 'unreachable');
    if (err instanceof joseErrors.JWTExpired) throw new UpstreamError('Bad id_token exp');
    throw new UpstreamError('Bad id_token signature');
  }
  // Cognito's words for a wrong issuer ("Bad id_token issuer <iss>", seen relayed to an app).
  // Google's ID tokens may name their issuer without the scheme (Google's OpenID Connect guide).
  const googleAlias = provider.providerType === 'Google' && ep.issuer === 'https://accounts.google.com' && payload.iss === 'accounts.google.com';
  if (payload.iss !== ep.issuer && !googleAlias) throw new UpstreamError(`Bad id_token issuer ${String(payload.iss)}`);
  const clientId = provider.providerDetails.client_id ?? '';
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  // guessed: the words for the audience and nonce checks, in the same form.
  if (!aud.includes(clientId)) throw new UpstreamError(`Bad id_token aud ${aud.join(' ')}`);
  if (typeof payload.nonce !== 'string' || !sameSecret(payload.nonce, nonce)) throw new UpstreamError('Bad id_token nonce');
  return payload as Record<string, unknown>;
}

/** The provider attribute that is the user's id: AttributeMapping's `username`, else OIDC's sub. */
const idAttribute = (provider: IdentityProvider) => provider.attributeMapping.username ?? 'sub';

/**
 * Completes the upstream leg: the code exchange at token_url, the ID token's checks (when the
 * provider signs one), the user info from attributes_url with the access token; returns who the
 * provider says the user is. Throws UpstreamError.
 */
export async function completeUpstream(app: App, provider: IdentityProvider, code: string, s: UpstreamSecrets): Promise<UpstreamIdentity> {
  const ep = await upstreamEndpoints(app, provider);
  const d = provider.providerDetails;
  const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: s.redirectUri, client_id: d.client_id ?? '' });
  const secret = provider.providerType === 'SignInWithApple' ? await appleClientSecret(app, provider) : d.client_secret;
  if (secret) form.set('client_secret', secret);
  if (usesPkce(provider)) form.set('code_verifier', s.verifier);
  const tokens =
    ep.tokenMethod === 'GET'
      ? await call(provider, `${ep.tokenUrl}${ep.tokenUrl.includes('?') ? '&' : '?'}${form}`, { headers: { accept: 'application/json' } })
      : await call(provider, ep.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: form.toString() });
  const accessToken = str(tokens.access_token);
  const idToken = str(tokens.id_token);

  let claims: Record<string, string> = {};
  if (ep.issuer) {
    if (!idToken) throw relayed(provider, 'token', 'no id_token');
    claims = flatten(await verifyIdToken(app, provider, ep, idToken, s.nonce));
  }
  let info: Record<string, string> = {};
  if (ep.attributesUrl && accessToken) {
    let url = ep.attributesUrl;
    if (d.attributes_url_add_attributes === 'true') {
      const wanted = [...new Set([idAttribute(provider), ...Object.entries(provider.attributeMapping).filter(([k]) => k !== 'username').map(([, v]) => v)])];
      url += wanted.map(encodeURIComponent).join(',');
    }
    const headers = { authorization: `Bearer ${accessToken}`, accept: 'application/json' };
    try {
      info = flatten(ep.attributesMethod === 'POST' ? await call(provider, url, { method: 'POST', headers }) : await call(provider, url, { headers }));
    } catch (err) {
      // Google's default attributes_url is the People API, which names its fields otherwise
      // (names, emailAddresses) and refuses OIDC claim names in personFields; its signed ID
      // token already says who the user is, so Tobira goes on with that (Tobira's choice).
      if (!(err instanceof UpstreamError && provider.providerType === 'Google' && idToken)) throw err;
    }
    // OIDC Core 5.3.2: the userinfo sub must be the ID token's.
    if (claims.sub !== undefined && info.sub !== undefined && info.sub !== claims.sub) throw relayed(provider, 'userinfo', 'sub mismatch');
  } else if (!ep.issuer) {
    throw relayed(provider, 'configuration', 'no attributes_url');
  }
  // The signed ID token's claims win over the user info's.
  const attributes = { ...info, ...claims };
  const userId = attributes[idAttribute(provider)];
  if (!userId) throw relayed(provider, 'userinfo', `no ${idAttribute(provider)}`);
  return { userId, attributes, ...(ep.issuer ? { issuer: ep.issuer } : {}) };
}
