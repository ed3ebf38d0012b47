import type { App } from '../../app.ts';
import type { IdentityProvider, User, UserPool } from '../types.ts';

/**
 * SEAM (issue 13): the user a federated sign-in yields. Filled by the OIDC/social work; the SAML
 * work calls it as is.
 */
export interface UpstreamIdentity {
  /** The provider's own id for the user: the OIDC `sub` (or the attribute the provider maps to `username`), the SAML NameID. */
  userId: string;
  /** What the provider said about the user, flattened to strings (OIDC claims, SAML attributes by name). */
  attributes: Record<string, string>;
}

/**
 * Creates or updates `<ProviderName>_<userId>` (status EXTERNAL_PROVIDER, the `identities`
 * attribute, attributes mapped by the provider's AttributeMapping), or the native user an
 * AdminLinkProviderForUser link points at; runs the triggers Cognito runs; returns the user to
 * sign in. Throws CognitoError when the sign-in must be refused.
 */
export async function signInFederated(app: App, pool: UserPool, provider: IdentityProvider, upstream: UpstreamIdentity): Promise<User> {
  void app; void pool; void provider; void upstream;
  throw new Error('signInFederated: not built yet');
}
