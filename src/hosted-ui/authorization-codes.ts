import type { App } from '../app.ts';
import type { Store } from '../store/store.ts';
import { uuid } from '../util/ids.ts';
import type { User } from '../domain/types.ts';
import { artifactHash } from './artifact-hash.ts';
import type { AuthorizeRequest } from './authorize-request.ts';

/** Cognito's codes are single use and valid five minutes (cognito-protocols.md 3.1). */
export const CODE_TTL_MS = 5 * 60 * 1000;

/** What an authorization code is bound to. */
export interface CodeGrant {
  redirectUri: string;
  scope: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
  nonce?: string;
  /** When the user signed in (ms). */
  authTime: number;
  sub: string;
}

/** Issues a code for the signed-in user and the request; only its hash is kept. */
export async function issueCode(app: App, ar: AuthorizeRequest, user: User, authTime: number): Promise<string> {
  const code = uuid(app.random);
  const now = app.clock.now();
  const data: CodeGrant = {
    redirectUri: ar.redirectUri,
    scope: ar.scopes.join(' '),
    ...(ar.codeChallenge ? { codeChallenge: ar.codeChallenge, codeChallengeMethod: ar.codeChallengeMethod } : {}),
    ...(ar.nonce !== undefined ? { nonce: ar.nonce } : {}),
    authTime,
    sub: user.sub,
  };
  await app.store.oauthArtifacts.insert({
    kind: 'code',
    idHash: artifactHash(code),
    poolId: ar.pool.id,
    clientId: ar.client.clientId,
    usernameKey: user.usernameKey,
    data: data as unknown as Record<string, unknown>,
    createdAt: now,
    expiresAt: now + CODE_TTL_MS,
    consumedAt: null,
  });
  return code;
}

/**
 * Redeems a code in the store `s` (a transaction's): marks it used in the statement that reads
 * it, so a second redemption, concurrent or later, finds nothing. Undefined: unknown, expired or
 * used.
 */
export async function consumeCode(app: App, s: Store, code: string) {
  if (code.length > 200) return undefined;
  const a = await s.oauthArtifacts.consume('code', artifactHash(code), app.clock.now());
  return a && { poolId: a.poolId, clientId: a.clientId!, usernameKey: a.usernameKey!, grant: a.data as unknown as CodeGrant };
}
