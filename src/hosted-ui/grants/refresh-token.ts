import type { App } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import { refreshTokenHash } from '../../domain/tokens/tokens.ts';
import { refreshTokens } from '../../domain/tokens/refresh-tokens.ts';
import type { AppClient } from '../../domain/types.ts';
import { invalidGrant, invalidRequest, unauthorizedClient } from '../errors.ts';
import type { Params } from '../request.ts';
import { tokenResponse } from './token-response.ts';

export const parameters = new Set(['refresh_token']);

/**
 * grant_type=refresh_token: the same refresh as REFRESH_TOKEN_AUTH (tokens/refresh-tokens.ts):
 * new ID and access tokens, the granted scopes kept, no refresh token unless the client rotates
 * them. Any refusal of the token (unknown, other client, revoked, expired, user gone) is
 * invalid_grant.
 */
export async function refreshTokenGrant(app: App, client: AppClient, p: Params) {
  if (!client.config.AllowedOAuthFlowsUserPoolClient) throw unauthorizedClient();
  const token = p.get('refresh_token');
  if (!token) throw invalidRequest();
  try {
    const record = await app.store.tokens.getRefresh(refreshTokenHash(token));
    const tokens = await refreshTokens(app, client, token);
    const scope = record?.data.scope;
    return tokenResponse(tokens, scope === undefined || scope.split(' ').includes('openid'));
  } catch (err) {
    if (err instanceof CognitoError) throw invalidGrant();
    throw err;
  }
}
