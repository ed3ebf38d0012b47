import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { updateAuthEventFeedback } from '../domain/threat/events.ts';
import { registerRoutes } from './server.ts';

/**
 * GET /_tobira/auth-event-feedback?user_pool_id=&username=&event_id=&feedback_token=&feedback_value=:
 * where the one-click links of adaptive authentication's notification emails point
 * (domain/threat/notify.ts). Cognito serves its links on the pool's domain; Tobira on its own URL.
 * It does what UpdateAuthEventFeedback does with the email's token, and answers a small page.
 */
type Query = { user_pool_id?: string; username?: string; event_id?: string; feedback_token?: string; feedback_value?: string };

const page = (title: string, text: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function authEventFeedbackRoutes(server: FastifyInstance, app: App): void {
  server.get('/_tobira/auth-event-feedback', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    const q = req.query ?? {};
    reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const value = q.feedback_value;
    if (!q.user_pool_id || !q.username || !q.event_id || !q.feedback_token || (value !== 'Valid' && value !== 'Invalid')) {
      return reply.code(400).send(page('Invalid link', 'This feedback link is incomplete.'));
    }
    try {
      await updateAuthEventFeedback(app, { UserPoolId: q.user_pool_id, Username: q.username, EventId: q.event_id, FeedbackToken: q.feedback_token, FeedbackValue: value });
      return page('Thank you', value === 'Valid' ? 'You confirmed that this sign-in was yours.' : 'You reported that this sign-in was not yours. Change your password.');
    } catch (err) {
      if (!(err instanceof CognitoError)) throw err;
      return reply.code(400).send(page('Could not record your answer', escape(err.message)));
    }
  });
}

registerRoutes(authEventFeedbackRoutes);
