import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import type { User } from '../domain/types.ts';
import { artifactHash } from './artifact-hash.ts';
import { parseCookies, serializeCookie } from './cookies.ts';
import type { HostedDomain } from './domain.ts';

/** The hosted UI's sign-in session: Cognito keeps one for an hour (cognito-protocols.md 3.2). */
export const SESSION_COOKIE = 'cognito';
const SESSION_SECONDS = 3600;

const cookiePath = (hd: HostedDomain) => hd.base || '/';

/**
 * Starts a session for the user who just signed in on this domain and sets its cookie: always a
 * new value, and the browser's previous session, if any, is ended (no session fixation).
 */
export async function startSession(app: App, hd: HostedDomain, req: FastifyRequest, reply: FastifyReply, user: User, authTime: number): Promise<void> {
  const previous = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (previous && previous.length <= 100) await app.store.oauthArtifacts.destroy('session', artifactHash(previous));
  const value = app.random.bytes(32).toString('base64url');
  const now = app.clock.now();
  await app.store.oauthArtifacts.insert({
    kind: 'session',
    idHash: artifactHash(value),
    poolId: hd.pool.id,
    clientId: null,
    usernameKey: user.usernameKey,
    data: { sub: user.sub, authTime },
    createdAt: now,
    expiresAt: now + SESSION_SECONDS * 1000,
    consumedAt: null,
  });
  reply.header('set-cookie', serializeCookie(SESSION_COOKIE, value, { path: cookiePath(hd), secure: hd.secure, maxAge: SESSION_SECONDS }));
}

/**
 * The signed-in user of this domain's session cookie, while the session lasts and the user can
 * still sign in: enabled, the same user (sub), not signed out globally since.
 */
export async function currentSession(app: App, hd: HostedDomain, req: FastifyRequest): Promise<{ user: User; authTime: number } | undefined> {
  const value = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (!value || value.length > 100) return undefined;
  const s = await app.store.oauthArtifacts.find('session', artifactHash(value), app.clock.now());
  if (!s || s.poolId !== hd.pool.id || !s.usernameKey) return undefined;
  const user = await app.store.users.get(s.poolId, s.usernameKey);
  if (!user || user.sub !== s.data.sub || !user.enabled) return undefined;
  // Federated users (EXTERNAL_PROVIDER) keep their hosted-UI session as native ones do.
  if (user.status !== 'CONFIRMED' && user.status !== 'EXTERNAL_PROVIDER') return undefined;
  if (user.tokensRevokedBefore !== null && s.createdAt < user.tokensRevokedBefore) return undefined;
  return { user, authTime: Number(s.data.authTime) };
}

/** Ends the session: the stored one is destroyed and the cookie cleared. */
export async function endSession(app: App, hd: HostedDomain, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  const value = parseCookies(req.headers.cookie).get(SESSION_COOKIE);
  if (value && value.length <= 100) await app.store.oauthArtifacts.destroy('session', artifactHash(value));
  reply.header('set-cookie', serializeCookie(SESSION_COOKIE, '', { path: cookiePath(hd), secure: hd.secure, maxAge: 0 }));
}
