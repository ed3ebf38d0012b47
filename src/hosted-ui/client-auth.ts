import type { App } from '../app.ts';
import { clientSecretMatches } from '../domain/tokens/revocation.ts';
import type { AppClient } from '../domain/types.ts';
import type { HostedContext } from './context.ts';
import { invalidClient, invalidRequest } from './errors.ts';
import type { Params } from './request.ts';

/**
 * The client of a token or revocation request: `Authorization: Basic base64(id:secret)`
 * (client_secret_basic, id and secret form-url-encoded first, RFC 6749 2.3.1) or client_id and
 * client_secret in the body (client_secret_post); a client without a secret sends client_id only.
 * Refused as invalid_client: an unknown client or one of another pool, a missing or wrong
 * secret, a secret for a client that has none. Two methods at once are invalid_request.
 */
export async function authenticateClient(app: App, ctx: HostedContext, p: Params, status = 400): Promise<AppClient> {
  const header = ctx.req.headers.authorization;
  let id = p.get('client_id');
  let secret = p.get('client_secret');
  if (typeof header === 'string' && /^basic\s/i.test(header)) {
    if (secret !== undefined) throw invalidRequest();
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidClient(status);
    let basicId: string;
    try {
      basicId = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw invalidClient(status);
    }
    if (id !== undefined && id !== basicId) throw invalidClient(status);
    id = basicId;
  }
  if (!id) throw invalidRequest();
  const client = id.length <= 128 ? await app.store.clients.get(id) : undefined;
  if (!client || client.poolId !== ctx.hd.pool.id) throw invalidClient(status);
  if (client.clientSecret === null ? secret !== undefined : !clientSecretMatches(client, secret)) throw invalidClient(status);
  return client;
}
