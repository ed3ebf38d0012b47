import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { App } from '../app.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Operator endpoints (/_tobira/..., /metrics, the console) answer a caller on the same machine, or
 * one carrying the configured admin token as `Authorization: Bearer <token>`. A request relayed
 * by a proxy (X-Forwarded-For / Forwarded) is not treated as local even though its socket is; nor
 * is one whose Host is not a local name: a web site whose name resolves to 127.0.0.1 (DNS
 * rebinding) reaches us from the operator's own browser, on loopback, under its own Host.
 */
export function isOperator(app: App, req: FastifyRequest): boolean {
  if (bearerMatches(app, req)) return true;
  const relayed = req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
  return !relayed && LOOPBACK.test(req.socket.remoteAddress ?? '') && localHostName(app, req);
}

/** `Authorization: Bearer <the admin token>`, compared in constant time. */
export function bearerMatches(app: App, req: FastifyRequest): boolean {
  const token = app.config.adminToken;
  const auth = req.headers.authorization;
  if (!token || typeof auth !== 'string' || !auth.startsWith('Bearer ')) return false;
  // Digests have equal lengths, so the comparison neither throws nor leaks the length.
  const given = createHash('sha256').update(auth.slice(7)).digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected);
}

/** The request's Host is this machine's: localhost, *.localhost, a loopback address, or the --public-url host. */
export function localHostName(app: App, req: FastifyRequest): boolean {
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost') || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)) return true;
  try {
    return !!app.config.publicUrl && new URL(app.config.publicUrl).hostname.toLowerCase() === host;
  } catch {
    return false;
  }
}
