import type { App } from '../app.ts';
import { storedLogo } from '../domain/pools/ui-customization.ts';
import { registerRoutes } from './server.ts';

/**
 * GET /_tobira/ui-assets/<poolId>/<ALL|clientId>/<version>/logo: the logo SetUICustomization
 * stored, where its ImageUrl points (Cognito serves it from a CloudFront URL of the same shape).
 * Public, as Cognito's is; a new Set changes the version and so the URL.
 */
registerRoutes((server, app: App) => {
  server.get<{ Params: { pool: string; target: string; version: string } }>('/_tobira/ui-assets/:pool/:target/:version/logo', async (req, reply) => {
    const { pool, target } = req.params;
    const logo = pool.length <= 55 && target.length <= 128 ? await storedLogo(app.store, pool, target) : null;
    if (!logo) return reply.code(404).header('content-type', 'text/plain').send('Not found');
    return reply
      .header('content-type', logo.contentType)
      .header('cache-control', 'public, max-age=86400')
      .header('x-content-type-options', 'nosniff')
      .send(logo.bytes);
  });
});
