import { headerSafeUrl } from '../authorize-request.ts';
import type { HostedContext } from '../context.ts';
import { html, page } from '../html.ts';
import { Params, sendPage } from '../request.ts';
import { allowedScopes } from '../scopes.ts';
import { currentSession, endSession } from '../sessions.ts';
import { samlSignOutRedirect } from '../federation/saml-logout.ts';

export const parameters = new Set(['client_id', 'logout_uri', 'redirect_uri', 'response_type', 'scope', 'state', 'lang']);

/**
 * GET /logout: ends this browser's hosted-UI session, then either goes to `logout_uri` (one of the
 * client's LogoutURLs, exact match) or, given `redirect_uri` (one of its CallbackURLs) and
 * `response_type`, back to /login to sign in again, with all the client's scopes when none are
 * named (cognito-protocols.md 3.3). A URL the client did not register is never followed.
 */
export async function logout(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  let p: { clientId?: string; logoutUri?: string; redirectUri?: string; responseType?: string; scope?: string; state?: string };
  try {
    const q = Params.query(req);
    p = { clientId: q.get('client_id'), logoutUri: q.get('logout_uri'), redirectUri: q.get('redirect_uri'), responseType: q.get('response_type'), scope: q.get('scope'), state: q.get('state') };
  } catch {
    return sendPage(reply, 400, page('Error', html`<p role="alert">A parameter was given more than once.</p>`));
  }
  if (!p.clientId) return sendPage(reply, 400, page('Error', html`<p role="alert">Required String parameter 'client_id' is not present</p>`));
  const client = p.clientId.length <= 128 ? await app.store.clients.get(p.clientId) : undefined;
  if (!client || client.poolId !== hd.pool.id) return sendPage(reply, 400, page('Error', html`<p role="alert">An error was encountered with the requested page.</p>`));
  const mismatch = () => reply.redirect(`${hd.base}/error?${new URLSearchParams({ error: 'redirect_mismatch', client_id: client.clientId })}`, 302);
  if (p.logoutUri !== undefined) {
    if (!(client.config.LogoutURLs ?? []).includes(p.logoutUri)) return mismatch();
    // A SAML user whose provider has IDPSignout signs out at the IdP too, then comes back (federation/saml-logout.ts).
    const session = await currentSession(app, hd, req);
    await endSession(app, hd, req, reply);
    const slo = session && (await samlSignOutRedirect(app, hd, session.user, client.clientId, p.logoutUri));
    return reply.redirect(slo ?? headerSafeUrl(p.logoutUri), 302);
  }
  if (p.redirectUri !== undefined && p.responseType !== undefined) {
    if (!(client.config.CallbackURLs ?? []).includes(p.redirectUri)) return mismatch();
    await endSession(app, hd, req, reply);
    const q = new URLSearchParams({ client_id: client.clientId, redirect_uri: p.redirectUri, response_type: p.responseType });
    q.set('scope', p.scope ?? allowedScopes(client).join(' '));
    if (p.state !== undefined) q.set('state', p.state);
    return reply.redirect(`${hd.base}/login?${q}`, 302);
  }
  return sendPage(reply, 400, page('Error', html`<p role="alert">Required String parameter 'logout_uri' or 'redirect_uri' is not present</p>`));
}
