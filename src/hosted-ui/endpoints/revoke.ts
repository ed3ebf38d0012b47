import { CognitoError } from '../../errors.ts';
import { revokeRefreshToken } from '../../domain/tokens/revocation.ts';
import { authenticateClient } from '../client-auth.ts';
import type { HostedContext } from '../context.ts';
import { invalidClient, invalidRequest, unsupportedTokenType } from '../errors.ts';
import { Params } from '../request.ts';

export const parameters = new Set(['token', 'token_type_hint', 'client_id', 'client_secret']);

/**
 * POST /oauth2/revoke: the same revocation as RevokeToken (the refresh token and every token of
 * its sign-in). 200 with an empty body, also for an unknown token (RFC 7009 2.2); 401
 * invalid_client, 400 invalid_request (no token, or revocation off for the client), 400
 * unsupported_token_type for anything but a refresh token.
 */
export async function revoke(ctx: HostedContext) {
  const p = Params.form(ctx.req);
  const client = await authenticateClient(ctx.app, ctx, p, 401);
  const token = p.get('token');
  if (!token) throw invalidRequest();
  try {
    await revokeRefreshToken(ctx.app, client.clientId, token, client.clientSecret ?? undefined);
  } catch (err) {
    if (!(err instanceof CognitoError)) throw err;
    if (err.type === 'UnsupportedTokenTypeException') throw unsupportedTokenType();
    if (err.type === 'UnauthorizedException') throw invalidClient(401);
    throw invalidRequest();
  }
  return ctx.reply.code(200).header('cache-control', 'no-store').send();
}
