import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { sameSecret } from './artifact-hash.ts';
import { parseCookies, serializeCookie } from './cookies.ts';
import type { HostedDomain } from './domain.ts';

/**
 * CSRF protection of the forms, as Cognito's hosted UI does it: an XSRF-TOKEN cookie and the same
 * value in the form's hidden `_csrf` field (double submit). A cross-site page can neither read
 * the cookie nor set it on our domain, so it cannot make a matching form.
 */
export const CSRF_COOKIE = 'XSRF-TOKEN';
export const CSRF_FIELD = '_csrf';

/** The token for the form about to be rendered: the browser's current one, or a new one set now. */
export function csrfToken(app: App, hd: Pick<HostedDomain, 'base' | 'secure'>, req: FastifyRequest, reply: FastifyReply): string {
  const current = parseCookies(req.headers.cookie).get(CSRF_COOKIE);
  if (current && /^[A-Za-z0-9_-]{43}$/.test(current)) return current;
  const token = app.random.bytes(32).toString('base64url');
  reply.header('set-cookie', serializeCookie(CSRF_COOKIE, token, { path: hd.base || '/', secure: hd.secure }));
  return token;
}

/** Whether a submitted form carries the token of its browser's cookie. */
export function csrfValid(req: FastifyRequest, submitted: string | undefined): boolean {
  const cookie = parseCookies(req.headers.cookie).get(CSRF_COOKIE);
  return !!cookie && !!submitted && sameSecret(cookie, submitted);
}
