import type { App } from '../../app.ts';
import { signJwt } from '../../domain/tokens/jwt.ts';
import { signingKey } from '../../domain/tokens/keys.ts';
import { issuerFor } from '../../domain/tokens/tokens.ts';
import { tokenValidity } from '../../domain/pools/app-clients.ts';
import type { AppClient, UserPool } from '../../domain/types.ts';
import { uuid } from '../../util/ids.ts';
import { invalidScope, unauthorizedClient } from '../errors.ts';
import type { Params } from '../request.ts';
import { grantScopes, USER_POOL_SCOPES } from '../scopes.ts';

export const parameters = new Set(['scope']);

/**
 * grant_type=client_credentials (machine to machine): for a client with a secret whose OAuth flow
 * is client_credentials, an access token with resource-server scopes only (all it is allowed
 * when none are asked for). Its claims as Cognito's (cognito-protocols.md 1.3): sub is the client
 * id, no username, groups, origin_jti or event_id, and `version: 2`.
 */
export async function clientCredentialsGrant(app: App, client: AppClient, p: Params, pool: UserPool) {
  const flows = client.config.AllowedOAuthFlows ?? [];
  if (client.clientSecret === null || !client.config.AllowedOAuthFlowsUserPoolClient || !flows.includes('client_credentials')) {
    throw unauthorizedClient();
  }
  const scopes = await grantScopes(app, client, p.get('scope'), (s) => !USER_POOL_SCOPES.has(s));
  if (!scopes || scopes.length === 0) throw invalidScope();
  const key = await signingKey({ store: app.store, clock: app.clock, config: app.config }, pool.id, 'access');
  const iat = Math.floor(app.clock.now() / 1000);
  const expiresIn = tokenValidity(client).access;
  const claims = {
    sub: client.clientId,
    token_use: 'access',
    scope: scopes.join(' '),
    auth_time: iat,
    iss: issuerFor(app, pool),
    exp: iat + expiresIn,
    iat,
    version: 2,
    jti: uuid(app.random),
    client_id: client.clientId,
  };
  return { access_token: signJwt(claims, key.kid, key.key), expires_in: expiresIn, token_type: 'Bearer' };
}
