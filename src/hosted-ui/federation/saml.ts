import type { App } from '../../app.ts';
import type { IdentityProvider } from '../../domain/types.ts';
import type { AuthorizeRequest } from '../authorize-request.ts';

/**
 * SEAM (issue 13): SP-initiated SAML sign-in. /oauth2/authorize calls this for a provider of type
 * SAML; it answers how the browser goes to the IdP: a redirect (HTTP-Redirect binding) or an
 * auto-submitting form page (HTTP-POST binding).
 */
export type SamlStart = { redirect: string } | { html: string };

export async function startSamlSignIn(app: App, ar: AuthorizeRequest, provider: IdentityProvider): Promise<SamlStart> {
  void app; void ar; void provider;
  throw new Error('startSamlSignIn: not built yet');
}
