import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import type { OutboxMessage } from '../store/repos/outbox.ts';
import { isOperator } from './operator-access.ts';
import { registerRoutes } from './server.ts';

/**
 * GET /_tobira/outbox: the emails and SMS Tobira kept, newest last, as JSON.
 * Filters: ?pool=<poolId>&to=<address>&after=<seq>&limit=<n> (at most 1000).
 * DELETE /_tobira/outbox[?pool=] empties it. Both only for operators (loopback or admin token).
 */
export function outboxJson(m: OutboxMessage) {
  return {
    id: m.id,
    seq: m.seq,
    poolId: m.poolId,
    channel: m.channel,
    destination: m.destination,
    subject: m.subject,
    body: m.body,
    ...m.data,
    createdAt: new Date(m.createdAt).toISOString(),
  };
}

type Query = { pool?: string; to?: string; after?: string; limit?: string };

function guard(app: App, req: FastifyRequest, reply: FastifyReply): boolean {
  if (isOperator(app, req)) return true;
  reply.code(403).header('content-type', 'application/json').send(JSON.stringify({ message: 'Forbidden' }));
  return false;
}

const int = (v: string | undefined) => (v !== undefined && /^\d{1,15}$/.test(v) ? Number(v) : undefined);

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
