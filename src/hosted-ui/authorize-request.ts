import type { App } from '../app.ts';
import type { AppClient, IdentityProvider, UserPool } from '../domain/types.ts';
import { MAX_PROVIDERS_PER_POOL } from '../domain/federation/identity-providers.ts';
import { invalidRequest, invalidScope, OAuthError, unauthorizedClient, unsupportedResponseType } from './errors.ts';
import type { Params } from './request.ts';
import { grantScopes } from './scopes.ts';

/** The parameters /oauth2/authorize and /login accept (Cognito's authorize endpoint). */
export const parameters = new Set([
  'response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method',
  'nonce', 'prompt', 'identity_provider', 'idp_identifier', 'lang',
]);

/** A checked authorization request. */
export interface AuthorizeRequest {
  pool: UserPool;
  client: AppClient;
  responseType: 'code' | 'token';
  redirectUri: string;
  state?: string;
  scopes: string[];
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  nonce?: string;
  prompt?: string;
  /** The upstream identity provider asked for (identity_provider or idp_identifier); absent for the pool's own users (COGNITO). */
  identityProvider?: IdentityProvider;
}

/** Why a request cannot go on: a page (client or redirect_uri unknown) or a redirect with an error. */
export type AuthorizeRefusal =
  | { kind: 'page'; message: string }
  | { kind: 'redirect_mismatch'; clientId: string }
  | { kind: 'redirect'; redirectUri: string; responseType?: string; error: OAuthError; state?: string };

export class AuthorizeRefused extends Error {
  constructor(readonly refusal: AuthorizeRefusal) {
    super('authorization refused');
  }
}

// RFC 7636 4.1: 43 to 128 characters of the unreserved set.
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

/**
 * Checks an authorization request in Cognito's order: the client and its redirect_uri first
 * (errors about them are shown on a page, never redirected: an unregistered redirect_uri goes to
 * /error?error=redirect_mismatch), then everything else, whose errors go to the redirect_uri.
 */
export async function checkAuthorizeRequest(app: App, pool: UserPool, p: Params): Promise<AuthorizeRequest> {
  let clientId: string | undefined;
  let redirectUri: string | undefined;
  let state: string | undefined;
  try {
    clientId = p.get('client_id');
    redirectUri = p.get('redirect_uri');
    state = p.get('state');
  } catch {
    throw new AuthorizeRefused({ kind: 'page', message: 'A parameter was given more than once.' });
  }
  if (!clientId) throw new AuthorizeRefused({ kind: 'page', message: 'Required String parameter \'client_id\' is not present' });
  const client = clientId.length <= 128 ? await app.store.clients.get(clientId) : undefined;
  if (!client || client.poolId !== pool.id) throw new AuthorizeRefused({ kind: 'page', message: 'An error was encountered with the requested page.' });
  // Exact match, byte for byte: no prefix, suffix, case or normalisation games.
  if (!redirectUri || !(client.config.CallbackURLs ?? []).includes(redirectUri)) {
    throw new AuthorizeRefused({ kind: 'redirect_mismatch', clientId });
  }
  const refuse = (error: OAuthError, responseType?: string): never => {
    throw new AuthorizeRefused({ kind: 'redirect', redirectUri: redirectUri!, responseType, error, state });
  };
  let responseType: string | undefined;
  try {
    responseType = p.get('response_type');
    for (const name of ['scope', 'code_challenge', 'code_challenge_method', 'nonce', 'prompt', 'identity_provider', 'idp_identifier']) p.get(name);
  } catch (err) {
    refuse(err as OAuthError);
  }
  if (!responseType) return refuse(invalidRequest());
  if (responseType !== 'code' && responseType !== 'token') return refuse(unsupportedResponseType());
  const flows = client.config.AllowedOAuthFlows ?? [];
  if (!client.config.AllowedOAuthFlowsUserPoolClient || !flows.includes(responseType === 'code' ? 'code' : 'implicit')) {
    return refuse(unauthorizedClient(), responseType);
  }
  const scopes = await grantScopes(app, client, p.get('scope'));
  if (!scopes) return refuse(invalidScope(), responseType);
  if (scopes.some((s) => s === 'email' || s === 'phone' || s === 'profile') && !scopes.includes('openid')) return refuse(invalidScope(), responseType);
  const challenge = p.get('code_challenge');
  const method = p.get('code_challenge_method');
  if (method !== undefined || challenge !== undefined) {
    if (!challenge || !method) return refuse(invalidRequest(), responseType);
    if (method !== 'S256' && method !== 'plain') return refuse(invalidRequest(), responseType);
    if (!PKCE_VALUE.test(challenge)) return refuse(invalidRequest(), responseType);
  }
  const identityProvider = await chosenProvider(app, pool, client, p.get('identity_provider'), p.get('idp_identifier'));
  // guessed: a provider the pool lacks or the client does not list is refused as invalid_request.
  if (identityProvider === null) return refuse(invalidRequest(), responseType);
  return {
    pool,
    client,
    responseType,
    redirectUri,
    state,
    scopes,
    ...(challenge ? { codeChallenge: challenge, codeChallengeMethod: method as 'S256' | 'plain' } : {}),
    nonce: p.get('nonce'),
    prompt: p.get('prompt'),
    ...(identityProvider ? { identityProvider } : {}),
  };
}

/**
 * The provider a request names: identity_provider by its name (COGNITO: the pool's own users),
 * else idp_identifier by one of its IdpIdentifiers; it must be one the client's
 * SupportedIdentityProviders lists. Undefined: none asked for; null: refused.
 */
async function chosenProvider(app: App, pool: UserPool, client: AppClient, name: string | undefined, identifier: string | undefined): Promise<IdentityProvider | undefined | null> {
  const supported = client.config.SupportedIdentityProviders ?? [];
  if (name !== undefined) {
    // guessed: COGNITO asked of a client that lists providers but not COGNITO is refused alike.
    if (name === 'COGNITO') return supported.length && !supported.includes('COGNITO') ? null : undefined;
    if (!supported.includes(name) || name.length > 128) return null;
    return (await app.store.identityProviders.get(pool.id, name)) ?? null;
  }
  if (identifier === undefined) return undefined;
  if (identifier.length > 128) return null;
  // Identifiers compare without case (guessed; Cognito documents them for email-domain matching).
  const wanted = identifier.toLowerCase();
  for (const provider of await app.store.identityProviders.list(pool.id, null, MAX_PROVIDERS_PER_POOL)) {
    if (supported.includes(provider.providerName) && provider.idpIdentifiers.some((i) => i.toLowerCase() === wanted)) return provider;
  }
  return null;
}

/** Where an error goes on the redirect_uri: the query for code, the fragment for token (RFC 6749 4.2.2.1). */
export function errorRedirect(r: { redirectUri: string; responseType?: string; error: OAuthError; state?: string }): string {
  const q = new URLSearchParams({ error: r.error.error });
  if (r.error.expose && r.error.description) q.set('error_description', r.error.description);
  if (r.state !== undefined) q.set('state', r.state);
  return appendParams(r.redirectUri, q, r.responseType === 'token' ? '#' : '?');
}

/** A registered URL as a Location header can carry it: anything but visible ASCII percent-encoded. */
export const headerSafeUrl = (uri: string) => uri.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));

/** The redirect_uri with parameters added to its query (`?`) or as its fragment (`#`). */
export function appendParams(uri: string, q: URLSearchParams, where: '?' | '#'): string {
  const safe = headerSafeUrl(uri);
  if (where === '#') return `${safe}#${q}`;
  return `${safe}${safe.includes('?') ? '&' : '?'}${q}`;
}
