import type { App } from '../../app.ts';
import type { User, UserPool } from '../../domain/types.ts';
import type { AuthorizeRequest } from '../authorize-request.ts';

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

/** Parks the request; returns the opaque handle to send upstream as state / RelayState. */
export async function savePending(app: App, ar: AuthorizeRequest, providerName: string, extra: Record<string, string>): Promise<string> {
  void app; void ar; void providerName; void extra;
  throw new Error('savePending: not built yet');
}

/** Takes the parked request back (once); undefined when unknown, used or expired. */
export async function takePending(app: App, pool: UserPool, handle: string): Promise<Pending | undefined> {
  void app; void pool; void handle;
  throw new Error('takePending: not built yet');
}

/** Ends a federated sign-in: the hosted-UI session and the redirect (code or tokens) to the client; returns the Location. */
export async function finishFederated(app: App, pending: Pending, user: User): Promise<string> {
  void app; void pending; void user;
  throw new Error('finishFederated: not built yet');
}
