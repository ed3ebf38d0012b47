import { openIdConfiguration, openIdJwks } from '../domain/identity/open-id-tokens.ts';
import { registerRoutes } from './server.ts';

/**
 * The identity service's discovery document and keys, unauthenticated, under its issuer
 * (`<public URL>/cognito-identity`): `/.well-known/openid-configuration` and
 * `/.well-known/jwks_uri` (Cognito's own path for the keys; `jwks.json` answers too, as the user
 * pools' path). These static routes win over the pools' `/:poolId/.well-known/...` ones.
 */

// Verifiers refetch on an unknown kid, so a short cache delays nobody.
const CACHE = 'public, max-age=300';

registerRoutes((server, app) => {
  server.get('/cognito-identity/.well-known/openid-configuration', async (_req, reply) =>
    reply.header('cache-control', CACHE).header('content-type', 'application/json').send(JSON.stringify(openIdConfiguration(app))),
  );
  for (const path of ['/cognito-identity/.well-known/jwks_uri', '/cognito-identity/.well-known/jwks.json']) {
    server.get(path, async (_req, reply) =>
      reply.header('cache-control', CACHE).header('content-type', 'application/json').send(JSON.stringify(await openIdJwks(app))),
    );
  }
});
