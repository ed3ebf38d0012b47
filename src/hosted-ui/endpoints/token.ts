import { authenticateClient } from '../client-auth.ts';
import type { HostedContext } from '../context.ts';
import { invalidRequest, unsupportedGrantType } from '../errors.ts';
import { authorizationCodeGrant } from '../grants/authorization-code.ts';
import { clientCredentialsGrant } from '../grants/client-credentials.ts';
import { refreshTokenGrant } from '../grants/refresh-token.ts';
import { Params, sendJson } from '../request.ts';

export const parameters = new Set(['grant_type', 'client_id', 'client_secret', 'scope', 'code', 'redirect_uri', 'code_verifier', 'refresh_token']);

const GRANTS = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
} as const;

/** POST /oauth2/token: the grant type first, then the client, then the grant itself. */
export async function token(ctx: HostedContext) {
  const p = Params.form(ctx.req);
  const type = p.get('grant_type');
  if (!type) throw invalidRequest();
  if (!Object.hasOwn(GRANTS, type)) throw unsupportedGrantType();
  const client = await authenticateClient(ctx.app, ctx, p);
  // authenticateClient admits only a client of this domain's pool, so the pool is ctx.hd.pool.
  const body = await GRANTS[type as keyof typeof GRANTS](ctx.app, client, p, ctx.hd.pool);
  return sendJson(ctx.reply, 200, body);
}
