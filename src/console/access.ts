import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { AdminCredentials } from '../http/admin-credentials.ts';
import { isOperator } from '../http/operator-access.ts';
import { sameSecret } from '../hosted-ui/artifact-hash.ts';
import { parseCookies, serializeCookie } from '../hosted-ui/cookies.ts';

/** Who is using the console: the machine itself or the operator token, or one admin key. */
export type Principal = { kind: 'operator' } | { kind: 'key'; accessKeyId: string };

export const CONSOLE_BASE = '/_tobira/console';
const SESSION_COOKIE = 'tobira-console';
/** A console sign-in lasts a working day; it is a MAC, not a stored session, so it cannot be revoked early except by changing the secret. */
const SESSION_MS = 12 * 60 * 60 * 1000;

const isTls = (app: App, req: FastifyRequest) => req.protocol === 'https' || (app.config.publicUrl ?? '').startsWith('https:');

/** The cookie's MAC, keyed by the secret the operator signed in with: changing it ends every session. */
const mac = (secret: string, what: string) => createHmac('sha256', secret).update(`tobira-console|${what}`).digest('base64url');

/**
 * The console answers whoever isOperator admits (loopback without a proxy header, under a local
 * Host name; or `Authorization: Bearer <admin token>`), or a browser holding a sign-in cookie
 * made from the admin token or an admin key's secret.
 */
export function principalOf(app: App, req: FastifyRequest): Principal | undefined {
  // Loopback under a local Host name, or the admin token (http/operator-access.ts).
  if (isOperator(app, req)) return { kind: 'operator' };
  const cookie = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  const m = cookie ? /^(t|k)\.([A-Za-z0-9]*)\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(cookie) : null;
  if (!m) return undefined;
  const [, kind, keyId, expires, given] = m as unknown as [string, string, string, string, string];
  if (Number(expires) <= app.clock.now()) return undefined;
  const secret = kind === 't' ? app.config.adminToken : app.config.adminCredentials?.get(keyId);
  if (!secret || !sameSecret(mac(secret, `${kind}|${keyId}|${expires}`), given)) return undefined;
  return kind === 't' ? { kind: 'operator' } : { kind: 'key', accessKeyId: keyId };
}

/** Whether anyone could sign in from afar (a token or keys are configured). */
export const remoteSignInPossible = (app: App) => !!app.config.adminToken || (app.config.adminCredentials?.size ?? 0) > 0;

/**
 * Checks what the sign-in form got and, when it is right, sets the session cookie. Wrong input
 * says only "wrong", whichever part was wrong.
 */
export function signIn(app: App, req: FastifyRequest, reply: FastifyReply, form: { token?: string; accessKeyId?: string; secretAccessKey?: string }): boolean {
  let value: string | undefined;
  const expires = app.clock.now() + SESSION_MS;
  const token = app.config.adminToken;
  if (form.token) {
    if (token && sameSecret(form.token, token)) value = `t..${expires}.${mac(token, `t||${expires}`)}`;
  } else if (form.accessKeyId && form.secretAccessKey && /^[A-Za-z0-9]+$/.test(form.accessKeyId)) {
    const secret = app.config.adminCredentials?.get(form.accessKeyId);
    if (secret && sameSecret(form.secretAccessKey, secret)) {
      value = `k.${form.accessKeyId}.${expires}.${mac(secret, `k|${form.accessKeyId}|${expires}`)}`;
    }
  }
  if (!value) return false;
  reply.header('set-cookie', sessionCookie(app, req, value, SESSION_MS / 1000));
  return true;
}

export function signOut(app: App, req: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', sessionCookie(app, req, '', 0));
}

// SameSite=Strict on top of the CSRF token: no other site's link even carries the sign-in.
const sessionCookie = (app: App, req: FastifyRequest, value: string, maxAge: number) =>
  `${serializeCookie(SESSION_COOKIE, value, { path: CONSOLE_BASE, secure: isTls(app, req), maxAge })}`.replace('SameSite=Lax', 'SameSite=Strict');

/**
 * Whether the principal may see what no single API operation guards (the outbox with its codes,
 * the token inspector): the operator, or a key without an IAM policy.
 */
export function unrestricted(app: App, p: Principal): boolean {
  if (p.kind === 'operator') return true;
  const creds = app.config.adminCredentials;
  return !(creds instanceof AdminCredentials) || !creds.principals.get(p.accessKeyId)?.policy;
}

/** The cookie and hidden-field settings for csrf.ts (hosted-ui), scoped to the console's path. */
export const csrfScope = (app: App, req: FastifyRequest) => ({ base: CONSOLE_BASE, secure: isTls(app, req) });
