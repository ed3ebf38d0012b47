import { CognitoError } from '../../errors.ts';
import { AuthorizeRefused, type AuthorizeRequest, checkAuthorizeRequest } from '../authorize-request.ts';
import { completeAuthorization } from '../complete-authorization.ts';
import type { HostedContext } from '../context.ts';
import { CSRF_FIELD, csrfToken, csrfValid } from '../csrf.ts';
import { errorBox, html, page } from '../html.ts';
import { answerRefusal, ERROR_PAGE_TEXT } from '../refusal.ts';
import { Params, queryString, sendPage } from '../request.ts';
import { currentSession, startSession } from '../sessions.ts';
import { hostedPasswordSignIn } from '../sign-in.ts';
import { hostedOrigin } from '../../domain/threat/origin.ts';
import { showChallenge } from './challenge.ts';

/** The form fields of POST /login (the authorization request stays in the query). */
export const parameters = new Set(['username', 'password', CSRF_FIELD]);

async function checked(ctx: HostedContext): Promise<AuthorizeRequest | undefined> {
  try {
    return await checkAuthorizeRequest(ctx.app, ctx.hd.pool, Params.query(ctx.req));
  } catch (err) {
    if (err instanceof AuthorizeRefused) {
      answerRefusal(ctx, err.refusal);
      return undefined;
    }
    throw err;
  }
}

function loginForm(ctx: HostedContext, ar: AuthorizeRequest, o: { username?: string; error?: string }) {
  const { hd, req } = ctx;
  const q = queryString(req);
  const token = csrfToken(ctx.app, hd, req, ctx.reply);
  const providers = providerButtons(ctx, ar);
  // A client that lists providers but not COGNITO gets only their buttons (no password form).
  const supported = ar.client.config.SupportedIdentityProviders ?? [];
  if (supported.length && !supported.includes('COGNITO')) {
    return page('Sign in', html`${errorBox(o.error)}${providers}`, { clientName: ar.client.config.ClientName, look: ctx.look });
  }
  const body = html`${errorBox(o.error)}${providers}
<form method="post" action="${hd.base}/login${q}" novalidate>
  <input type="hidden" name="${CSRF_FIELD}" value="${token}">
  <label for="username" class="label-customizable">Username</label>
  <input id="username" name="username" class="inputField-customizable" type="text" autocomplete="username" autocapitalize="none" required autofocus value="${o.username ?? ''}"${o.error ? html` aria-describedby="error"` : ''}>
  <label for="password" class="label-customizable">Password</label>
  <input id="password" name="password" class="inputField-customizable" type="password" autocomplete="current-password" required>
  <button type="submit" class="submitButton-customizable">Sign in</button>
</form>
<nav><a class="redirect-customizable" href="${hd.base}/forgotPassword${q}">Forgot your password?</a> <a class="redirect-customizable" href="${hd.base}/signup${q}">Sign up</a></nav>`;
  return page('Sign in', body, { clientName: ar.client.config.ClientName, look: ctx.look });
}

// guessed: the classic hosted UI's words on its provider buttons.
const BUTTON_NAMES: Record<string, string> = { LoginWithAmazon: 'Amazon', SignInWithApple: 'Apple' };
const IDP_BUTTON_STYLE = 'display:block;margin:.5rem 0;padding:.6rem;text-align:center;border:1px solid #8d99a8;border-radius:4px;text-decoration:none';

/**
 * A button (a link to /oauth2/authorize with the same request and identity_provider) for each
 * provider the client's SupportedIdentityProviders lists besides COGNITO.
 */
function providerButtons({ hd, req }: HostedContext, ar: AuthorizeRequest) {
  const names = (ar.client.config.SupportedIdentityProviders ?? []).filter((n) => n !== 'COGNITO');
  if (!names.length) return '';
  const base = new URLSearchParams(queryString(req).slice(1));
  for (const drop of ['identity_provider', 'idp_identifier', 'username']) base.delete(drop);
  const links = names.map((name) => {
    const q = new URLSearchParams(base);
    q.set('identity_provider', name);
    return html`<a class="idpButton-customizable" role="button" style="${IDP_BUTTON_STYLE}" href="${hd.base}/oauth2/authorize?${q.toString()}">Continue with ${BUTTON_NAMES[name] ?? name}</a>`;
  });
  return html`<nav class="idp-buttons" aria-label="Sign in with another provider">${links}</nav>`;
}

/** GET /login: the sign-in form, or straight back to the app when a session exists. */
export async function loginPage(ctx: HostedContext) {
  const ar = await checked(ctx);
  if (!ar) return ctx.reply;
  const session = ar.prompt === 'login' ? undefined : await currentSession(ctx.app, ctx.hd, ctx.req);
  if (session) return ctx.reply.redirect(await completeAuthorization(ctx.app, ar, session.user, session.authTime), 302);
  // After sign-up or a password reset the username comes along.
  const username = new URLSearchParams(queryString(ctx.req).slice(1)).get('username') ?? undefined;
  return sendPage(ctx.reply, 200, loginForm(ctx, ar, { username }));
}

/**
 * POST /login: a form from this browser's own page (CSRF token), checked by the same domain
 * steps as the API's password sign-in; success starts the session and completes the request.
 */
export async function loginSubmit(ctx: HostedContext) {
  const { app, hd, req, reply } = ctx;
  const ar = await checked(ctx);
  if (!ar) return reply;
  const form = Params.form(req);
  if (!csrfValid(req, form.get(CSRF_FIELD))) {
    return sendPage(reply, 403, page('Error', html`<p role="alert">Your session has expired or the form was not sent from this page. Go back and try again.</p>`));
  }
  // A client that does not list COGNITO has no password sign-in (its page shows no form).
  const supported = ar.client.config.SupportedIdentityProviders ?? [];
  if (supported.length && !supported.includes('COGNITO')) return sendPage(reply, 400, page('Error', html`<p role="alert">${ERROR_PAGE_TEXT}</p>`));
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  if (!username || !password) return sendPage(reply, 200, loginForm(ctx, ar, { username, error: 'Please enter your username and password.' }));
  try {
    const { user, challenge } = await hostedPasswordSignIn(app, hd.pool, ar.client, hostedOrigin(req), username, password);
    if (challenge) return sendPage(reply, 200, await showChallenge(ctx, ar, challenge, username));
    const authTime = app.clock.now();
    await startSession(app, hd, req, reply, user, authTime);
    return reply.redirect(await completeAuthorization(app, ar, user, authTime), 302);
  } catch (err) {
    if (err instanceof CognitoError) return sendPage(reply, 200, loginForm(ctx, ar, { username, error: err.message }));
    throw err;
  }
}
