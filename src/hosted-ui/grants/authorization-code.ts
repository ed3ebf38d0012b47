import { createHash } from 'node:crypto';
import type { App } from '../../app.ts';
import { issueTokens } from '../../domain/tokens/tokens.ts';
import { tokenOverrides } from '../../domain/triggers/before-tokens.ts';
import type { AppClient, UserPool } from '../../domain/types.ts';
import { sameSecret } from '../artifact-hash.ts';
import { consumeCode } from '../authorization-codes.ts';
import { invalidGrant, invalidRequest, unauthorizedClient } from '../errors.ts';
import type { Params } from '../request.ts';
import { tokenResponse } from './token-response.ts';

export const parameters = new Set(['code', 'redirect_uri', 'code_verifier']);

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** RFC 7636 4.6: S256 compares BASE64URL(SHA256(verifier)), plain the verifier itself. */
function verifierMatches(method: 'S256' | 'plain', challenge: string, verifier: string | undefined): boolean {
  if (verifier === undefined || !VERIFIER.test(verifier)) return false;
  const derived = method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  return sameSecret(derived, challenge);
}

/**
 * grant_type=authorization_code: the code is redeemed (used up) before anything else is checked,
 * so a code presented with a wrong client, redirect_uri or verifier is gone too; then it must
 * have been issued to this client for this redirect_uri, and the PKCE verifier must match the
 * challenge. The user must still be the one who signed in, enabled.
 */
export async function authorizationCodeGrant(app: App, client: AppClient, p: Params, pool: UserPool) {
  if (!(client.config.AllowedOAuthFlows ?? []).includes('code')) throw unauthorizedClient();
  const code = p.get('code');
  const redirectUri = p.get('redirect_uri');
  const verifier = p.get('code_verifier');
  if (!code || !redirectUri) throw invalidRequest();
  const redeemed = await app.store.tx((s) => consumeCode(app, s, code));
  if (!redeemed || redeemed.clientId !== client.clientId || redeemed.poolId !== client.poolId) throw invalidGrant();
  const g = redeemed.grant;
  if (g.redirectUri !== redirectUri) throw invalidGrant();
  if (g.codeChallenge && !verifierMatches(g.codeChallengeMethod ?? 'S256', g.codeChallenge, verifier)) throw invalidGrant();
  const user = await app.store.users.get(client.poolId, redeemed.usernameKey);
  if (!user || user.sub !== g.sub || !user.enabled) throw invalidGrant();
  const overrides = await tokenOverrides(app, pool, client, user, { source: 'TokenGeneration_HostedAuth', scope: g.scope });
  const tokens = await issueTokens(app, app.store, {
    pool, client, user, authTime: g.authTime, withRefreshToken: true, scope: g.scope, oauth: true, nonce: g.nonce, overrides,
  });
  return tokenResponse(tokens, g.scope.split(' ').includes('openid'));
}
