import { signInFederated } from '../../domain/federation/federated-users.ts';
import { completeUpstream, UpstreamError } from '../../domain/federation/oidc-upstream.ts';
import { CognitoError } from '../../errors.ts';
import type { HostedContext } from '../context.ts';
import { csrfValid } from '../csrf.ts';
import { federationErrorRedirect } from '../federation/oidc.ts';
import { finishFederated, takePending } from '../federation/pending.ts';
import { html, page } from '../html.ts';
import { Params, sendPage } from '../request.ts';

/** What an OIDC or OAuth 2.0 provider sends back (Apple's form_post adds `user`). */
export const parameters = new Set(['code', 'state', 'error', 'error_description', 'error_reason', 'error_code', 'user', 'scope', 'authuser', 'prompt', 'hd', 'iss']);

/** Cognito's words for an answer whose state it does not know (amplify-js#6291). */
export const INVALID_STATE = 'Invalid State/RelayState provided.';

/**
 * GET (POST for form_post) /oauth2/idpresponse: an upstream provider's answer. The state takes
 * back the parked request, once; an unknown, used or expired state ends on Cognito's error page
 * and nothing else happens. Then the code exchange, the ID token's checks and the user info
 * (domain/federation/oidc-upstream.ts), the user (federated-users.ts), the hosted-UI session, and
 * the app gets its code or tokens. Whatever the provider or a trigger refuses goes back to the
 * app's redirect_uri as error=invalid_request with Cognito's error_description.
 */
export async function idpResponse(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  const p = req.method === 'POST' ? Params.form(req) : Params.query(req);
  const state = p.get('state');
  const pending = state ? await takePending(app, hd.pool, state) : undefined;
  const invalid = () => sendPage(reply, 400, page('Error', html`<p role="alert">${INVALID_STATE}</p>`));
  if (!pending) return invalid();
  // Another browser than the one that started (federation/oidc.ts): the state is used up all the same.
  if (pending.extra.xsrf !== undefined && !csrfValid(req, pending.extra.xsrf)) return invalid();
  const { ar } = pending;
  const provider = await app.store.identityProviders.get(hd.pool.id, pending.providerName);
  // A SAML sign-in's RelayState answers at /saml2/idpresponse only.
  if (provider?.providerType === 'SAML') return invalid();
  // guessed: the words for a provider deleted while the user was away.
  if (!provider) return reply.redirect(federationErrorRedirect(ar, `Identity provider ${pending.providerName} does not exist. `), 302);
  const upstreamError = p.get('error');
  const code = p.get('code');
  if (upstreamError !== undefined || !code) {
    // guessed: how an IdP's own refusal (the user said no) is relayed.
    const detail = [upstreamError ?? 'no code', p.get('error_description')].filter(Boolean).join(' ').slice(0, 300);
    return reply.redirect(federationErrorRedirect(ar, `${provider.providerName} Error - ${detail} `), 302);
  }
  try {
    const upstream = await completeUpstream(app, provider, code, {
      nonce: pending.extra.nonce ?? '',
      verifier: pending.extra.verifier ?? '',
      redirectUri: pending.extra.redirectUri ?? '',
    });
    const user = await signInFederated(app, hd.pool, provider, upstream, { clientId: ar.client.clientId });
    return reply.redirect(await finishFederated(app, pending, user, ctx), 302);
  } catch (err) {
    if (err instanceof UpstreamError) return reply.redirect(federationErrorRedirect(ar, `${err.description} `), 302);
    if (err instanceof CognitoError) return reply.redirect(federationErrorRedirect(ar, `${err.message} `), 302);
    throw err;
  }
}
