import { AuthorizeRefused, checkAuthorizeRequest, errorRedirect } from '../authorize-request.ts';
import { completeAuthorization } from '../complete-authorization.ts';
import type { HostedContext } from '../context.ts';
import { loginRequired } from '../errors.ts';
import { answerRefusal } from '../refusal.ts';
import { Params, queryString } from '../request.ts';
import { currentSession } from '../sessions.ts';
import { startFederatedSignIn } from '../federation/start.ts';

export { parameters } from '../authorize-request.ts';

/**
 * GET /oauth2/authorize: a checked request goes on to /login with the same query, or, when this
 * browser has a hosted-UI session (and prompt is not login), straight back with a code or tokens.
 * prompt=none without a session answers login_required at the redirect_uri.
 */
export async function authorize(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  let ar;
  try {
    ar = await checkAuthorizeRequest(app, hd.pool, Params.query(req));
  } catch (err) {
    if (err instanceof AuthorizeRefused) return answerRefusal(ctx, err.refusal);
    throw err;
  }
  // identity_provider / idp_identifier: always to the provider, which has its own session.
  if (ar.identityProvider) return startFederatedSignIn(ctx, ar, ar.identityProvider);
  const session = ar.prompt === 'login' ? undefined : await currentSession(app, hd, req);
  if (session) return reply.redirect(await completeAuthorization(app, ar, session.user, session.authTime), 302);
  if (ar.prompt === 'none') {
    return reply.redirect(errorRedirect({ redirectUri: ar.redirectUri, responseType: ar.responseType, error: loginRequired(), state: ar.state }), 302);
  }
  return reply.redirect(`${hd.base}/login${queryString(req)}`, 302);
}
