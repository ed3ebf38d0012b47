import type { App } from '../../app.ts';
import type { User, UserPool } from '../../domain/types.ts';
import { artifactHash } from '../artifact-hash.ts';
import type { AuthorizeRequest } from '../authorize-request.ts';
import { completeAuthorization } from '../complete-authorization.ts';
import type { HostedContext } from '../context.ts';
import { startSession } from '../sessions.ts';

/**
 * SEAM (issue 13): an authorization request parked while the browser is at an upstream identity
 * provider (OIDC `state`, SAML RelayState), single use, short-lived, stored hashed.
 */
export interface Pending {
  ar: AuthorizeRequest;
  providerName: string;
  /** What the upstream leg needs back: the OIDC nonce and PKCE verifier, the SAML request id ... */
  extra: Record<string, string>;
}

/** Cognito cancels a federated sign-in that does not come back within five minutes (cognito-protocols.md 3.7). */
export const PENDING_TTL_MS = 5 * 60 * 1000;

const KIND = 'federation';

/** What of the request is stored: the client by id, the rest as checked. */
interface Stored extends Omit<AuthorizeRequest, 'pool' | 'client' | 'identityProvider'> {
  clientId: string;
  providerName: string;
  extra: Record<string, string>;
}

/** Parks the request; returns the opaque handle to send upstream as state / RelayState. */
export async function savePending(app: App, ar: AuthorizeRequest, providerName: string, extra: Record<string, string>): Promise<string> {
  const handle = app.random.bytes(32).toString('base64url');
  const now = app.clock.now();
  const data: Stored = {
    clientId: ar.client.clientId,
    responseType: ar.responseType,
    redirectUri: ar.redirectUri,
    scopes: ar.scopes,
    ...(ar.state !== undefined ? { state: ar.state } : {}),
    ...(ar.codeChallenge ? { codeChallenge: ar.codeChallenge, codeChallengeMethod: ar.codeChallengeMethod } : {}),
    ...(ar.nonce !== undefined ? { nonce: ar.nonce } : {}),
    ...(ar.prompt !== undefined ? { prompt: ar.prompt } : {}),
    providerName,
    extra,
  };
  await app.store.oauthArtifacts.insert({
    kind: KIND,
    idHash: artifactHash(handle),
    poolId: ar.pool.id,
    clientId: ar.client.clientId,
    usernameKey: null,
    data: data as unknown as Record<string, unknown>,
    createdAt: now,
    expiresAt: now + PENDING_TTL_MS,
    consumedAt: null,
  });
  return handle;
}

/** Takes the parked request back (once); undefined when unknown, used or expired. */
export async function takePending(app: App, pool: UserPool, handle: string): Promise<Pending | undefined> {
  if (!handle || handle.length > 200) return undefined;
  // Used up in the statement that reads it: of two answers with one state, one goes on.
  const a = await app.store.oauthArtifacts.consume(KIND, artifactHash(handle), app.clock.now());
  if (!a || a.poolId !== pool.id) return undefined;
  const d = a.data as unknown as Stored;
  const client = await app.store.clients.get(d.clientId);
  if (!client || client.poolId !== pool.id) return undefined;
  const ar: AuthorizeRequest = {
    pool,
    client,
    responseType: d.responseType,
    redirectUri: d.redirectUri,
    state: d.state,
    scopes: d.scopes,
    ...(d.codeChallenge ? { codeChallenge: d.codeChallenge, codeChallengeMethod: d.codeChallengeMethod } : {}),
    nonce: d.nonce,
    prompt: d.prompt,
  };
  return { ar, providerName: d.providerName, extra: d.extra ?? {} };
}

/**
 * Ends a federated sign-in: the hosted-UI session and the redirect (code or tokens) to the client; returns the Location.
 * Given the endpoint's context, the browser gets the hosted UI's session cookie, so a later
 * /oauth2/authorize without identity_provider signs the user in without a new trip upstream,
 * as Cognito's session does.
 */
export async function finishFederated(app: App, pending: Pending, user: User, ctx?: HostedContext): Promise<string> {
  const authTime = app.clock.now();
  if (ctx) await startSession(app, ctx.hd, ctx.req, ctx.reply, user, authTime);
  return completeAuthorization(app, pending.ar, user, authTime);
}
