import type { IdentityProvider } from '../../domain/types.ts';
import { upstreamAuthorizeUrl, UpstreamError, type UpstreamSecrets, usesFormPost } from '../../domain/federation/oidc-upstream.ts';
import { csrfToken } from '../csrf.ts';
import { appendParams, type AuthorizeRequest } from '../authorize-request.ts';
import type { HostedContext } from '../context.ts';
import { savePending } from './pending.ts';

/**
 * The URL of this domain's /oauth2/idpresponse as the browser reaches it: the redirect URI
 * registered at the provider (cognito-protocols.md 3.7).
 */
export function idpResponseUrl({ hd, req }: HostedContext): string {
  const host = String(req.headers.host ?? 'localhost');
  return `${hd.secure ? 'https' : 'http'}://${host}${hd.base}/oauth2/idpresponse`;
}

/**
 * Sends the browser to an OIDC or social provider: the request is parked under a fresh state
 * with a nonce and a PKCE verifier of its own, and the provider's authorization URL comes back.
 */
export async function startOidcSignIn(ctx: HostedContext, ar: AuthorizeRequest, provider: IdentityProvider): Promise<string> {
  const { app } = ctx;
  const secrets: UpstreamSecrets = {
    nonce: app.random.bytes(32).toString('base64url'),
    verifier: app.random.bytes(48).toString('base64url'),
    redirectUri: idpResponseUrl(ctx),
  };
  // The answer must come back to this browser: its XSRF-TOKEN cookie, as Cognito binds the state
  // to its own cookies, so nobody can hand a victim the end of a sign-in they started (login
  // CSRF). Sign in with Apple answers by a cross-site POST (form_post), which a SameSite=Lax
  // cookie does not follow; its state alone is the check.
  const binding: Record<string, string> = usesFormPost(provider) ? {} : { xsrf: csrfToken(app, ctx.hd, ctx.req, ctx.reply) };
  const state = await savePending(app, ar, provider.providerName, { ...secrets, ...binding });
  return upstreamAuthorizeUrl(app, provider, state, secrets);
}

/**
 * A federated sign-in that failed, back at the app: `error=invalid_request` with the reason as
 * error_description (the IdP's refusal, a trigger's message ...), on the query for code and in
 * the fragment for token, as Cognito answers (e.g. `error_description=PreSignUp+failed+with+error+
 * <message>.+&error=invalid_request`, its description ending in a space).
 */
export function federationErrorRedirect(ar: AuthorizeRequest, description: string): string {
  const q = new URLSearchParams({ error_description: description });
  if (ar.state !== undefined) q.set('state', ar.state);
  q.set('error', 'invalid_request');
  return appendParams(ar.redirectUri, q, ar.responseType === 'token' ? '#' : '?');
}

export { UpstreamError };
