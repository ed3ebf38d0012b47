import type { App } from '../app.ts';
import { issueTokens } from '../domain/tokens/tokens.ts';
import { tokenOverrides } from '../domain/triggers/before-tokens.ts';
import type { User } from '../domain/types.ts';
import { issueCode } from './authorization-codes.ts';
import { appendParams, type AuthorizeRequest } from './authorize-request.ts';

/**
 * The end of a successful authorization: for `code`, `<redirect_uri>?code=...&state=...`; for
 * `token` (implicit), the tokens in the fragment (an ID token only with openid, never a refresh
 * token), as Cognito redirects (cognito-protocols.md 3.1).
 */
export async function completeAuthorization(app: App, ar: AuthorizeRequest, user: User, authTime: number): Promise<string> {
  if (ar.responseType === 'code') {
    const q = new URLSearchParams({ code: await issueCode(app, ar, user, authTime) });
    if (ar.state !== undefined) q.set('state', ar.state);
    return appendParams(ar.redirectUri, q, '?');
  }
  const scope = ar.scopes.join(' ');
  // PostAuthentication ran when the user signed in; PreTokenGeneration runs for these tokens.
  const overrides = await tokenOverrides(app, ar.pool, ar.client, user, { source: 'TokenGeneration_HostedAuth', scope });
  const tokens = await issueTokens(app, app.store, {
    pool: ar.pool, client: ar.client, user, authTime, withRefreshToken: false, scope, oauth: true, nonce: ar.nonce, overrides,
  });
  const q = new URLSearchParams();
  if (ar.scopes.includes('openid')) q.set('id_token', tokens.IdToken!);
  q.set('access_token', tokens.AccessToken!);
  q.set('expires_in', String(tokens.ExpiresIn));
  q.set('token_type', 'Bearer');
  if (ar.state !== undefined) q.set('state', ar.state);
  return appendParams(ar.redirectUri, q, '#');
}
