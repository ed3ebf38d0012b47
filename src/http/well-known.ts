import type { FastifyReply } from 'fastify';
import type { App } from '../app.ts';
import { poolJwks } from '../domain/tokens/keys.ts';
import { issuerFor, jwksUrlFor } from '../domain/tokens/tokens.ts';
import { registerRoutes } from './server.ts';
import { hostedUiUrl } from '../hosted-ui/domain.ts';

/**
 * GET /<poolId>/.well-known/jwks.json and /<poolId>/.well-known/openid-configuration, with no
 * authentication, as Cognito serves them under its issuer. The OAuth endpoints the discovery
 * document names live on this server under /oauth2 (the hosted UI).
 */

// Cognito's pool id shape; anything else is not a pool and gets the same 404 as an unknown one.
const POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

// Verifiers refetch on an unknown kid, so a short cache only delays nobody; it spares the store.
const CACHE = 'public, max-age=300';

async function knownPool(app: App, poolId: string, reply: FastifyReply) {
  const pool = POOL_ID.test(poolId) && poolId.length <= 55 ? await app.store.pools.get(poolId) : undefined;
  if (!pool) {
    reply
      .code(404)
      .header('content-type', 'application/json')
      .send(JSON.stringify({ __type: 'ResourceNotFoundException', message: `User pool ${poolId} does not exist.` }));
  }
  return pool;
}

/**
 * The discovery document; members in Cognito's (alphabetical) order. The OAuth endpoints are the
 * pool's domain's (hosted-ui/domain.ts hostedUiUrl), else, for a pool without a domain, where
 * they would be on this server.
 */
export async function openIdConfiguration(app: App, pool: { id: string; region: string }) {
  const base = (await hostedUiUrl(app, pool.id)) ?? app.publicUrl().replace(/\/+$/, '');
  return {
    authorization_endpoint: `${base}/oauth2/authorize`,
    end_session_endpoint: `${base}/logout`,
    id_token_signing_alg_values_supported: ['RS256'],
    issuer: issuerFor(app, pool),
    jwks_uri: jwksUrlFor(app, pool.id),
    response_types_supported: ['code', 'token'],
    revocation_endpoint: `${base}/oauth2/revoke`,
    scopes_supported: ['openid', 'email', 'phone', 'profile'],
    subject_types_supported: ['public'],
    token_endpoint: `${base}/oauth2/token`,
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    userinfo_endpoint: `${base}/oauth2/userInfo`,
  };
}

registerRoutes((server, app) => {
  server.get<{ Params: { poolId: string } }>('/:poolId/.well-known/jwks.json', async (req, reply) => {
    const pool = await knownPool(app, req.params.poolId, reply);
    if (!pool) return reply;
    const jwks = await poolJwks(app, pool.id);
    return reply.header('cache-control', CACHE).header('content-type', 'application/json').send(JSON.stringify(jwks));
  });

  server.get<{ Params: { poolId: string } }>('/:poolId/.well-known/openid-configuration', async (req, reply) => {
    const pool = await knownPool(app, req.params.poolId, reply);
    if (!pool) return reply;
    return reply
      .header('cache-control', CACHE)
      .header('content-type', 'application/json')
      .send(JSON.stringify(await openIdConfiguration(app, pool)));
  });
});
