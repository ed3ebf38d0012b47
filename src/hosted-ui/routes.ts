import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { registerRoutes } from '../http/server.ts';
import type { Endpoint } from './context.ts';
import { resolveDomain } from './domain.ts';
import { authorize } from './endpoints/authorize.ts';
import { errorPage } from './endpoints/error.ts';
import { loginPage, loginSubmit } from './endpoints/login.ts';
import { logout } from './endpoints/logout.ts';
import { challengeSubmit } from './endpoints/challenge.ts';
import { confirm } from './endpoints/confirm.ts';
import { confirmForgot, forgot } from './endpoints/forgot-password.ts';
import { signup } from './endpoints/signup.ts';
import { revoke } from './endpoints/revoke.ts';
import { token } from './endpoints/token.ts';
import { userInfo } from './endpoints/userinfo.ts';
import { samlIdpResponse, samlLogout, samlMetadata } from './endpoints/saml2.ts';
import { idpResponse } from './endpoints/idpresponse.ts';
import { OAuthError, serverError } from './errors.ts';
import { html, page } from './html.ts';
import { queryString, sendJson, sendOAuthError, sendPage } from './request.ts';
import { pageLook } from './look.ts';

/** How an endpoint answers errors: JSON (token, revocation, userInfo) or a page. */
type Kind = 'json' | 'page';

const ENDPOINTS: [method: 'GET' | 'POST', path: string, Endpoint, Kind][] = [
  ['GET', '/oauth2/authorize', authorize, 'page'],
  ['POST', '/saml2/idpresponse', samlIdpResponse, 'page'],
  ['GET', '/saml2/metadata', samlMetadata, 'page'],
  ['POST', '/saml2/logout', samlLogout, 'page'],
  ['GET', '/oauth2/idpresponse', idpResponse, 'page'],
  ['POST', '/oauth2/idpresponse', idpResponse, 'page'],
  ['GET', '/login', loginPage, 'page'],
  ['POST', '/login', loginSubmit, 'page'],
  ['GET', '/error', errorPage, 'page'],
  ['POST', '/oauth2/token', token, 'json'],
  ['GET', '/oauth2/userInfo', userInfo, 'json'],
  ['POST', '/oauth2/userInfo', userInfo, 'json'],
  ['GET', '/oauth2/userinfo', userInfo, 'json'],
  ['POST', '/oauth2/revoke', revoke, 'json'],
  ['GET', '/logout', logout, 'page'],
  ['POST', '/challenge', challengeSubmit, 'page'],
  ['GET', '/signup', signup.show, 'page'],
  ['POST', '/signup', signup.submit, 'page'],
  ['GET', '/confirm', confirm.show, 'page'],
  ['POST', '/confirm', confirm.submit, 'page'],
  ['GET', '/forgotPassword', forgot.show, 'page'],
  ['POST', '/forgotPassword', forgot.submit, 'page'],
  ['GET', '/confirmForgotPassword', confirmForgot.show, 'page'],
  ['POST', '/confirmForgotPassword', confirmForgot.submit, 'page'],
];

/**
 * The OAuth 2.0 / OIDC endpoints and sign-in pages of user pool domains, on Tobira's own port:
 * by Host (`<prefix>.auth.<region>.localhost`, `<prefix>.<--hosted-ui-base-domain>`, a custom
 * domain's name) and by path (`/_domain/<prefix>/...`) for clients that cannot set Host.
 */
registerRoutes((server, app) => {
  for (const [method, path, endpoint, kind] of ENDPOINTS) {
    server.route({ method, url: path, handler: (req, reply) => run(app, req, reply, endpoint, kind, undefined) });
    server.route<{ Params: { prefix: string } }>({
      method,
      url: `/_domain/:prefix${path}`,
      handler: (req, reply) => run(app, req, reply, endpoint, kind, req.params.prefix),
    });
  }
});

async function run(app: App, req: FastifyRequest, reply: FastifyReply, endpoint: Endpoint, kind: Kind, prefix: string | undefined) {
  try {
    const hd = await resolveDomain(app, req, prefix);
    if (!hd) {
      return kind === 'json'
        ? sendJson(reply, 404, { error: 'not_found' })
        : sendPage(reply, 404, page('Not found', html`<p role="alert">No user pool domain is served at this address.</p>`));
    }
    const look = kind === 'page' ? await pageLook(app, hd, new URLSearchParams(queryString(req).slice(1)).get('client_id')) : undefined;
    return await endpoint({ app, hd, req, reply, look });
  } catch (err) {
    let oauth = err instanceof OAuthError ? err : undefined;
    if (!oauth) {
      // Internal causes go to the log with a request id, never to the client (and no secret is
      // in a log line: only the error).
      const requestId = randomUUID();
      app.log.error({ requestId, err, path: req.routeOptions.url }, 'hosted UI: unexpected error');
      oauth = serverError();
    }
    if (kind === 'json') return sendOAuthError(reply, oauth);
    return sendPage(reply, oauth.status, page('Error', html`<p role="alert">${oauth.status >= 500 ? 'Something went wrong.' : 'An error was encountered with the requested page.'}</p>`));
  }
}
