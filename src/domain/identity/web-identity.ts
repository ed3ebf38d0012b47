import type { App } from '../../app.ts';
import type { Store } from '../../store/store.ts';
import type { IdentityPool } from '../types.ts';
import { verifyOpenIdToken, type OpenIdTokenClaims } from './identities.ts';
import { assumedRoleArn, mintCredentials, principalId, type IssuedCredentials } from './credentials.ts';
import { authenticatedRoles } from './roles.ts';
import { tokenTags } from './principal-tags.ts';

/**
 * STS's AssumeRoleWithWebIdentity for the OpenID tokens of Tobira's identity pools: the classic
 * (basic) flow's second step (GetOpenIdToken, then this), and what an external Tobira answers in
 * --sts-endpoint mode. AWS decides with the role's trust policy; Tobira has no IAM, so it stands
 * in the policy Cognito's guide recommends: the token's audience is an identity pool, and the
 * role is one that pool hands out to that kind of identity (its unauthenticated role for a
 * guest; for a signed-in identity its authenticated role, a rule's role, or a role of a group of
 * a user pool it maps by Token).
 */

/** An STS error as the Query protocol sends it: `<Type>Sender</Type><Code>..</Code><Message>..</Message>`. */
export class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
  get type(): 'Sender' | 'Receiver' {
    return this.status >= 500 ? 'Receiver' : 'Sender';
  }
}

/** "1 validation error detected: ..." as STS's front end words it for one bad parameter. */
export const validationError = (detail: string) => new StsError('ValidationError', `1 validation error detected: ${detail}`);

/** DurationSeconds of AssumeRoleWithWebIdentity: 900 s up to 12 hours (the API reference). */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 43200;
const DEFAULT_DURATION_SECONDS = 3600;

export interface WebIdentityRequest {
  roleArn: string;
  roleSessionName: string;
  webIdentityToken: string;
  durationSeconds?: number;
}

export interface WebIdentityResult {
  credentials: IssuedCredentials;
  assumedRoleArn: string;
  assumedRoleId: string;
  subject: string;
  audience: string;
  provider: string;
}

const NOT_A_JWT = 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)';

export async function assumeRoleWithWebIdentity(app: App, req: WebIdentityRequest): Promise<WebIdentityResult> {
  const now = app.clock.now();
  const payload = unverifiedPayload(req.webIdentityToken);
  // An expired token gets its own answer (ExpiredTokenException, with STS's wording: seen in
  // envoyproxy's and several tools' logs), before the signature is looked at.
  if (typeof payload.exp === 'number' && payload.exp * 1000 <= now) {
    throw new StsError('ExpiredTokenException', `Token expired: current date/time ${Math.floor(now / 1000)} must be before the expiration date/time ${payload.exp}`);
  }
  let token: OpenIdTokenClaims;
  try {
    token = await verifyOpenIdToken(app, req.webIdentityToken);
  } catch {
    // guessed: STS's words for a token whose signature or issuer does not check out vary with the
    // provider; this one says what happened.
    throw new StsError('InvalidIdentityToken', 'The web identity token could not be verified against the identity pool issuer.');
  }
  const pool = await app.store.identityPools.get(token.identityPoolId);
  const guest = token.amr.includes('unauthenticated');
  const allowed = !pool ? false : guest ? pool.roles.unauthenticated === req.roleArn : authenticatedRoles(pool).has(req.roleArn) || (await tokenMappedRoles(app.store, pool)).has(req.roleArn);
  // STS's refusal of a role whose trust policy does not admit the caller (AccessDenied, 403).
  if (!allowed) throw new StsError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity', 403);

  const credentials = await app.store.tx((s) =>
    mintCredentials(app, s, {
      roleArn: req.roleArn,
      sessionName: req.roleSessionName,
      identityId: token.identityId,
      identityPoolId: token.identityPoolId,
      principalTags: tokenTags(token.claims),
      durationSeconds: req.durationSeconds ?? DEFAULT_DURATION_SECONDS,
    }),
  );
  const iss = typeof token.claims.iss === 'string' ? token.claims.iss : '';
  return {
    credentials,
    assumedRoleArn: assumedRoleArn(req.roleArn, req.roleSessionName),
    assumedRoleId: `${principalId('AROA', req.roleArn)}:${req.roleSessionName}`,
    subject: token.identityId,
    audience: token.identityPoolId,
    // For OpenID tokens STS names the issuer; shown without its scheme as AWS's examples show
    // providers (`www.amazon.com`): guessed for Tobira's own issuer URL.
    provider: iss.replace(/^https?:\/\//, ''),
  };
}

/**
 * The roles a pool hands out through Token mappings: those of the groups of each user pool whose
 * mapping is of type Token (the ID token's `cognito:roles` come from them).
 */
async function tokenMappedRoles(store: Store, pool: IdentityPool): Promise<Set<string>> {
  const roles = new Set<string>();
  for (const [key, mapping] of Object.entries(pool.roleMappings)) {
    const userPool = mapping.Type === 'Token' ? /^cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([\w-]+):/.exec(key)?.[1] : undefined;
    if (!userPool) continue;
    for (let after: string | null = null; ; ) {
      const page = await store.groups.list(userPool, after, 1000);
      for (const g of page) if (g.roleArn) roles.add(g.roleArn);
      if (page.length < 1000) break;
      after = page[page.length - 1].groupName;
    }
  }
  return roles;
}

/** The token's payload, read without verifying it (only to tell an expired token apart). */
function unverifiedPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new StsError('InvalidIdentityToken', NOT_A_JWT);
  try {
    const v = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  throw new StsError('InvalidIdentityToken', NOT_A_JWT);
}
