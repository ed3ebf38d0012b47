import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { outboxJson } from '../store/repos/outbox.ts';
import { isOperator } from './operator-access.ts';
import { registerRoutes } from './server.ts';

type Query = { pool?: string; to?: string; after?: string; limit?: string };

function guard(app: App, req: FastifyRequest, reply: FastifyReply): boolean {
  if (isOperator(app, req)) return true;
  reply.code(403).header('content-type', 'application/json').send(JSON.stringify({ message: 'Forbidden' }));
  return false;
}

// seq values are epoch ms x 1024: 16 digits, still exact in a double.
const int = (v: string | undefined) => (v !== undefined && /^\d{1,16}$/.test(v) && Number.isSafeInteger(Number(v)) ? Number(v) : undefined);

/**
 * GET /_tobira/outbox: the emails and SMS Tobira kept, newest last, as JSON.
 * Filters: ?pool=<poolId>&to=<address>&after=<seq>&limit=<n> (at most 1000).
 * DELETE /_tobira/outbox[?pool=] empties it. Both only for operators (loopback or admin token).
 */
export function outboxRoutes(server: FastifyInstance, app: App): void {
  server.get('/_tobira/outbox', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    if (!guard(app, req, reply)) return reply;
    const q = req.query ?? {};
    const messages = await app.store.outbox.list({
      poolId: q.pool || undefined,
      to: q.to || undefined,
      afterSeq: int(q.after),
      limit: int(q.limit) ?? 100,
    });
    reply.header('content-type', 'application/json').header('cache-control', 'no-store');
    return JSON.stringify({ messages: messages.map(outboxJson) });
  });

  server.delete('/_tobira/outbox', async (req: FastifyRequest<{ Querystring: Query }>, reply) => {
    if (!guard(app, req, reply)) return reply;
    const deleted = await app.store.outbox.clear(req.query?.pool || undefined);
    reply.header('content-type', 'application/json');
    return JSON.stringify({ deleted });
  });
}

registerRoutes(outboxRoutes);
