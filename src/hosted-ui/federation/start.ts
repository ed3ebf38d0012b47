import type { IdentityProvider } from '../../domain/types.ts';
import type { AuthorizeRequest } from '../authorize-request.ts';
import type { HostedContext } from '../context.ts';
import { federationErrorRedirect, startOidcSignIn, UpstreamError } from './oidc.ts';
import { startSamlSignIn } from './saml.ts';

/**
 * /oauth2/authorize with identity_provider (or idp_identifier): the browser goes to the provider,
 * by redirect, or for SAML's HTTP-POST binding by an auto-submitting form page. A provider that
 * cannot be reached (its discovery document, say) sends the app an error, never a 500.
 */
export async function startFederatedSignIn(ctx: HostedContext, ar: AuthorizeRequest, provider: IdentityProvider) {
  const { app, reply } = ctx;
  if (provider.providerType === 'SAML') {
    const start = await startSamlSignIn(app, ar, provider);
    if ('redirect' in start) return reply.redirect(start.redirect, 302);
    return reply.code(200).header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(start.html);
  }
  try {
    return reply.redirect(await startOidcSignIn(ctx, ar, provider), 302);
  } catch (err) {
    if (err instanceof UpstreamError) return reply.redirect(federationErrorRedirect(ar, `${err.description} `), 302);
    throw err;
  }
}
