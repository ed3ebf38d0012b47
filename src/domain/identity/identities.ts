import type { App } from '../../app.ts';
import type { IdentityPool } from '../types.ts';

/**
 * SEAM (issue 14): identities of an identity pool. The identities work fills this file; the
 * credentials work (credentials.ts, the STS endpoint) calls these signatures as they are.
 */

/** One identity: `<region>:<uuid>`, its pool and the logins linked to it. */
export interface Identity {
  id: string;
  poolId: string;
  /** Provider name as a Logins key (e.g. `cognito-idp.us-east-1.amazonaws.com/us-east-1_abc`, `accounts.google.com`, the developer provider name) -> the user's id there. */
  logins: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

/** A Logins entry whose token was verified: the claims role mapping reads (`cognito:groups`, `cognito:preferred_role` ...). */
export interface VerifiedLogin {
  /** The Logins key, normalised to the pool's own spelling of the provider. */
  providerName: string;
  /** The user's id at the provider (the token's `sub`, or the developer user identifier). */
  subject: string;
  claims: Record<string, unknown>;
}

/** The identity, or ResourceNotFoundException as Cognito words it. */
export async function getIdentity(app: App, identityId: string): Promise<Identity> {
  void app; void identityId;
  throw new Error('getIdentity: not built yet');
}

/**
 * Verifies every token of a Logins map for the pool (signature, issuer, audience, expiry,
 * ServerSideTokenCheck) and answers the verified logins, or throws NotAuthorizedException /
 * InvalidParameterException / ResourceConflictException as Cognito does.
 */
export async function verifyLogins(app: App, pool: IdentityPool, logins: Record<string, string>): Promise<VerifiedLogin[]> {
  void app; void pool; void logins;
  throw new Error('verifyLogins: not built yet');
}

/** Claims of an OpenID token that GetOpenIdToken (or ...ForDeveloperIdentity) issued, verified; throws when not valid. */
export interface OpenIdTokenClaims {
  identityId: string;
  identityPoolId: string;
  /** `authenticated` or `unauthenticated`, then the provider names. */
  amr: string[];
  expiresAt: number;
  claims: Record<string, unknown>;
}

export async function verifyOpenIdToken(app: App, token: string): Promise<OpenIdTokenClaims> {
  void app; void token;
  throw new Error('verifyOpenIdToken: not built yet');
}

/** An OpenID token for the identity (GetOpenIdToken's answer), valid for `durationSeconds`. */
export async function issueOpenIdToken(app: App, identity: Identity, logins: VerifiedLogin[], durationSeconds: number): Promise<string> {
  void app; void identity; void logins; void durationSeconds;
  throw new Error('issueOpenIdToken: not built yet');
}
