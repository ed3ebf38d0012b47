import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { confirmSignUpFromLink } from '../domain/self-service/sign-up.ts';
import { registerRoutes } from './server.ts';

/**
 * GET /confirmUser?client_id=&user_name=&confirmation_code=: where LINK-style verification
 * emails point (Cognito serves it on the pool's domain; developer guide, "Customizing email
 * verification messages"). Confirms the sign-up and answers a small page.
 */
type Query = { client_id?: string; user_name?: string; confirmation_code?: string };

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function confirmUserRoutes(server: FastifyInstance, app: App): void {
  server.get('/confirmUser', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    const q = req.query ?? {};
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!q.client_id || !q.user_name || !q.confirmation_code) {
      return reply.code(400).send(page('Invalid link', 'This confirmation link is incomplete.'));
    }
    try {
      await confirmSignUpFromLink(app, q.client_id, q.user_name, q.confirmation_code);
      return page('Registration confirmed', 'Your registration has been confirmed. You can now sign in.');
    } catch (err) {
      if (!(err instanceof CognitoError)) throw err;
      return reply.code(400).send(page('Could not confirm', escape(err.message)));
    }
  });
}

registerRoutes(confirmUserRoutes);
