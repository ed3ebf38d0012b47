import { verifyPoolToken } from '../domain/tokens/access-tokens.ts';
import { parseJwt } from '../domain/tokens/jwt.ts';
import { isRevoked } from '../domain/tokens/revocation.ts';
import { registerRoutes } from '../http/server.ts';

/**
 * POST /_tobira/token-status {"token": "<ID or access token>"} -> {"active": boolean}, for the
 * gateway (tobira gateway) in another process or on another machine: active means one of this
 * server's pool tokens, signature good, not expired, and not revoked by GlobalSignOut,
 * AdminUserGlobalSignOut, AdminDisableUser or RevokeToken. Open to any caller, like Cognito's own
 * token-authenticated operations: it only tells the holder of a token about that token.
 */
registerRoutes((server, app) => {
  server.post('/_tobira/token-status', async (req, reply) => {
    reply.header('content-type', 'application/json').header('cache-control', 'no-store');
    let token: unknown;
    try {
      token = (JSON.parse(typeof req.body === 'string' ? req.body : '') as { token?: unknown })?.token;
    } catch {
      token = undefined;
    }
    if (typeof token !== 'string' || token === '') {
      return reply.code(400).send(JSON.stringify({ message: 'Expected a JSON body {"token": "<ID or access token>"}.' }));
    }
    const use = parseJwt(token)?.payload.token_use;
    if (use !== 'id' && use !== 'access') return reply.send('{"active":false}');
    try {
      const { claims } = await verifyPoolToken(app, token, use);
      return reply.send(JSON.stringify({ active: !(await isRevoked(app.store, claims)) }));
    } catch {
      // Invalid signature, unknown pool, expired: not active (the reason stays here).
      return reply.send('{"active":false}');
    }
  });
});
