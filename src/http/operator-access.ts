import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { App } from '../app.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Operator endpoints (/_tobira/...) answer a caller on the same machine, or one carrying the
 * configured admin token as `Authorization: Bearer <token>`. A request relayed by a proxy
 * (X-Forwarded-For / Forwarded) is not treated as local even though its socket is.
 */
export function isOperator(app: App, req: FastifyRequest): boolean {
  const token = app.config.adminToken;
  const auth = req.headers.authorization;
  if (token && typeof auth === 'string' && auth.startsWith('Bearer ')) {
    // Digests have equal lengths, so the comparison neither throws nor leaks the length.
    const given = createHash('sha256').update(auth.slice(7)).digest();
    const expected = createHash('sha256').update(token).digest();
    if (timingSafeEqual(given, expected)) return true;
  }
  const relayed = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
  return !relayed && LOOPBACK.test(req.socket.remoteAddress ?? '');
}
