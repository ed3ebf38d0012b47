import type { App } from '../../app.ts';
import type { IdentityProvider } from '../../domain/types.ts';
import { samlSigningMaterial } from '../../domain/federation/saml-certificate.ts';
import { SamlMetadataError, samlIdpOf } from '../../domain/federation/saml-metadata.ts';
import { samlSp } from '../../domain/federation/saml-sp.ts';
import { errorRedirect, type AuthorizeRequest } from '../authorize-request.ts';
import { hostedUiUrl } from '../domain.ts';
import { OAuthError, serverError } from '../errors.ts';
import { html, page } from '../html.ts';
import { savePending } from './pending.ts';

/**
 * SEAM (issue 13): SP-initiated SAML sign-in. /oauth2/authorize calls this for a provider of type
 * SAML; it answers how the browser goes to the IdP: a redirect (HTTP-Redirect binding) or an
 * auto-submitting form page (HTTP-POST binding).
 */
export type SamlStart = { redirect: string } | { html: string };

/** The ACS URL Tobira gives IdPs for the pool: its domain's /saml2/idpresponse (Cognito's path). */
export async function acsUrlOf(app: App, poolId: string): Promise<string | undefined> {
  const base = await hostedUiUrl(app, poolId);
  return base && `${base}/saml2/idpresponse`;
}

/**
 * Sends the browser to the IdP with an AuthnRequest: the HTTP-Redirect binding when the IdP's
 * metadata offers it (as Cognito does), else HTTP-POST. Signed with the pool's signing
 * certificate (GetSigningCertificate) when the provider's RequestSigningAlgorithm is rsa-sha256.
 * The request is parked (pending.ts) under the RelayState, with the AuthnRequest ID the answer
 * must name in InResponseTo.
 */
export async function startSamlSignIn(app: App, ar: AuthorizeRequest, provider: IdentityProvider): Promise<SamlStart> {
  let idp;
  try {
    idp = await samlIdpOf(app, provider);
  } catch (err) {
    app.log.warn({ err, pool: ar.pool.id, provider: provider.providerName }, 'SAML sign-in: the IdP metadata cannot be used');
    // Back to the app, as the other upstream failures (the words are Tobira's: guessed).
    const description = err instanceof SamlMetadataError ? err.message : `The metadata of identity provider ${provider.providerName} could not be read.`;
    return { redirect: errorRedirect({ redirectUri: ar.redirectUri, responseType: ar.responseType, error: new OAuthError('server_error', 400, description), state: ar.state }) };
  }
  const acsUrl = await acsUrlOf(app, ar.pool.id);
  if (!acsUrl) throw serverError(); // /oauth2/authorize is only reached through a domain of the pool
  const signing = provider.providerDetails.RequestSigningAlgorithm === 'rsa-sha256' ? await samlSigningMaterial(app, ar.pool.id) : undefined;
  // An xs:ID: starts with a letter or underscore.
  const requestId = `_${app.random.bytes(20).toString('hex')}`;
  const relayState = await savePending(app, ar, provider.providerName, { requestId });
  const sp = await samlSp({ poolId: ar.pool.id, acsUrl, idp, requestId, signing });
  if (idp.ssoRedirect) return { redirect: await sp.getAuthorizeUrlAsync(relayState, undefined, {}) };
  // HTTP-POST only: a form that sends itself on (a button without script).
  const message = await sp.getAuthorizeMessageAsync(relayState);
  const fields = Object.entries(message).map(([name, value]) => html`<input type="hidden" name="${name}" value="${String(value)}">`);
  return {
    html: page(
      'Signing in',
      html`<form id="saml" method="post" action="${idp.ssoPost!}">${fields}<p>Continue to ${provider.providerName} to sign in.</p><button type="submit">Continue</button></form><script>document.getElementById('saml').submit()</script>`,
    ),
  };
}
