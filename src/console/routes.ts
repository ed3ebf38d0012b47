import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { registerRoutes } from '../http/server.ts';
import { CSRF_FIELD, csrfToken, csrfValid } from '../hosted-ui/csrf.ts';
import { html } from '../hosted-ui/html.ts';
import { CONSOLE_BASE, csrfScope, principalOf, remoteSignInPossible, signIn, signOut, unrestricted, type Principal } from './access.ts';
import { layout, sendHtml, type View } from './layout.ts';
import { Form, type ActionResult, type ConsoleContext, type ConsolePage } from './page.ts';
import { poolPages } from './pools.ts';
import { clientPages } from './clients.ts';
import { userListPages } from './users.ts';
import { userPages } from './user.ts';
import { groupPages } from './groups.ts';
import { providerPages } from './providers.ts';
import { identityPoolPages } from './identity-pools.ts';
import { outboxPages, outboxRows } from './outbox.ts';
import { tokenPages } from './tokens.ts';
import { signInView } from './sign-in.ts';
import { CONSOLE_SCRIPT } from './script.ts';

const PAGES: ConsolePage[] = [
  ...poolPages,
  ...clientPages,
  ...userListPages,
  ...userPages,
  ...groupPages,
  ...providerPages,
  ...identityPoolPages,
  ...outboxPages,
  ...tokenPages,
];

const CSRF_REFUSED = 'The form could not be checked (CSRF). Reload the page and try again.';
const LOCAL_ONLY = 'The console answers only on this machine (loopback, no proxy). Start Tobira with --admin-token to use it from elsewhere.';

/**
 * The admin console at /_tobira/console: server-rendered pages over the API's own handlers
 * (console/call.ts). Who may use it: console/access.ts. Every POST carries the double-submit CSRF
 * token of the hosted UI (hosted-ui/csrf.ts), scoped to the console's path.
 */
registerRoutes((server, app) => {
  // The API's CORS headers (http/server.ts) stay off the console: with them any site could read
  // a page its visitor's browser fetched from loopback. And a page of another site may link here
  // (a navigation) but not fetch or embed.
  server.addHook('onRequest', async (req, reply) => {
    if (!isConsole(req.url)) return;
    if (req.headers['sec-fetch-site'] === 'cross-site' && req.headers['sec-fetch-mode'] !== 'navigate') {
      return refuse(reply, 403, 'The console does not answer requests made by other sites.');
    }
  });
  server.addHook('onSend', async (req, reply) => {
    if (!isConsole(req.url)) return;
    for (const h of Object.keys(reply.getHeaders())) if (h.startsWith('access-control-')) reply.removeHeader(h);
  });
  server.get(CONSOLE_BASE, (req, reply) => reply.redirect(`${CONSOLE_BASE}/`, 303));
  server.get(`${CONSOLE_BASE}/console.js`, (_req, reply) =>
    reply.header('content-type', 'text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_SCRIPT),
  );
  server.get(`${CONSOLE_BASE}/sign-in`, (req, reply) => signInPage(app, req, reply));
  server.post(`${CONSOLE_BASE}/sign-in`, (req, reply) => signInPage(app, req, reply));
  server.post(`${CONSOLE_BASE}/sign-out`, (req, reply) => {
    const form = formOf(req);
    if (!form || !csrfValid(req, form.get(CSRF_FIELD)) || !sameOrigin(req)) return refuse(reply, 403, CSRF_REFUSED);
    signOut(app, req, reply);
    return reply.redirect(`${CONSOLE_BASE}/sign-in`, 303);
  });
  server.get(`${CONSOLE_BASE}/outbox/rows`, async (req, reply) => {
    const principal = principalOf(app, req);
    if (!principal || !unrestricted(app, principal)) return reply.code(403).send();
    const q = new URLSearchParams((req.raw.url ?? '').split('?')[1] ?? '');
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(await outboxRows(app, q));
  });
  for (const p of PAGES) {
    const url = `${CONSOLE_BASE}${p.path || '/'}`;
    server.get(url, (req, reply) => serveOrFail(app, p, req, reply));
    server.post(url, (req, reply) => serveOrFail(app, p, req, reply));
  }
});

// `//_tobira/console` reaches the same routes (ignoreDuplicateSlashes), so slashes are folded first.
const isConsole = (raw: string) => {
  const url = raw.replace(/\/{2,}/g, '/');
  return url === CONSOLE_BASE || url.startsWith(`${CONSOLE_BASE}/`) || url.startsWith(`${CONSOLE_BASE}?`);
};

function refuse(reply: FastifyReply, status: number, message: string) {
  return sendHtml(
    reply,
    status,
    html`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tobira console</title></head><body><main><h1>Tobira console</h1><p role="alert">${message}</p></main></body></html>`.text,
  );
}

function formOf(req: FastifyRequest): Form | undefined {
  const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  return new Form(new URLSearchParams(typeof req.body === 'string' ? req.body : ''));
}

/**
 * A second line behind the CSRF token: a browser that says the form came from another site
 * (Sec-Fetch-Site, or an Origin naming another host) is refused. Origin `null` (a page with
 * no-referrer, a sandboxed frame) says nothing, and the token decides.
 */
function sameOrigin(req: FastifyRequest): boolean {
  if (req.headers['sec-fetch-site'] === 'cross-site') return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function contextOf(app: App, req: FastifyRequest, reply: FastifyReply, principal: Principal): ConsoleContext {
  const url = req.raw.url ?? '/';
  const q = url.indexOf('?');
  return {
    app,
    req,
    reply,
    principal,
    csrf: csrfToken(app, csrfScope(app, req), req, reply),
    params: (req.params ?? {}) as Record<string, string>,
    query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)),
    // The root keeps its slash (its GET and POST live there); other pages have none.
    path: ((q < 0 ? url : url.slice(0, q)).replace(/\/$/, '') || CONSOLE_BASE).replace(/^\/_tobira\/console$/, `${CONSOLE_BASE}/`),
    signedIn: principal.kind === 'key' || !!req.headers.cookie?.includes('tobira-console='),
  };
}

/** A page, or when something unexpected broke, a page saying so: the cause to the log with the request id, never to the page. */
async function serveOrFail(app: App, p: ConsolePage, req: FastifyRequest, reply: FastifyReply) {
  try {
    return await serve(app, p, req, reply);
  } catch (err) {
    const requestId = randomUUID();
    app.log.error({ requestId, via: 'console', err }, 'unexpected error');
    return refuse(reply, 500, `InternalErrorException: An internal error occurred. Request id: ${requestId}`);
  }
}

async function serve(app: App, p: ConsolePage, req: FastifyRequest, reply: FastifyReply) {
  const principal = principalOf(app, req);
  if (!principal) {
    if (req.method === 'GET' && remoteSignInPossible(app)) return reply.redirect(`${CONSOLE_BASE}/sign-in`, 303);
    return refuse(reply, 403, remoteSignInPossible(app) ? 'Sign in first.' : LOCAL_ONLY);
  }
  if (p.unrestricted && !unrestricted(app, principal)) return refuse(reply, 403, 'This page is only for the operator or an admin key without an IAM policy.');
  const cx = contextOf(app, req, reply, principal);
  let error: CognitoError | undefined;
  let result: ActionResult = undefined;
  if (req.method === 'POST') {
    const form = formOf(req);
    if (!form || !csrfValid(req, form.get(CSRF_FIELD)) || !sameOrigin(req)) return refuse(reply, 403, CSRF_REFUSED);
    cx.form = form;
    const name = form.get('_action') ?? '';
    const act = p.actions && Object.hasOwn(p.actions, name) ? p.actions[name] : undefined;
    if (!act) return refuse(reply, 400, 'Unknown action.');
    try {
      result = await act(cx, form);
      if (result && 'redirect' in result) return reply.redirect(result.redirect, 303);
    } catch (err) {
      if (!(err instanceof CognitoError)) throw err;
      error = err;
    }
  }
  let view: View;
  try {
    view = await p.view(cx);
  } catch (err) {
    if (!(err instanceof CognitoError)) throw err;
    error ??= err;
    view = { title: 'Error', body: html`<p><a href="${CONSOLE_BASE}/">Back to the user pools</a></p>` };
  }
  const status = error ? error.status : 200;
  return sendHtml(reply, status, layout(cx, view, { error, notice: result && 'notice' in result ? result.notice : undefined }));
}

async function signInPage(app: App, req: FastifyRequest, reply: FastifyReply) {
  const principal = principalOf(app, req);
  if (principal) return reply.redirect(`${CONSOLE_BASE}/`, 303);
  if (!remoteSignInPossible(app)) return refuse(reply, 403, LOCAL_ONLY);
  let failed = false;
  if (req.method === 'POST') {
    const form = formOf(req);
    if (!form || !csrfValid(req, form.get(CSRF_FIELD)) || !sameOrigin(req)) return refuse(reply, 403, CSRF_REFUSED);
    if (signIn(app, req, reply, { token: form.get('token'), accessKeyId: form.get('accessKeyId'), secretAccessKey: form.get('secretAccessKey') })) {
      return reply.redirect(`${CONSOLE_BASE}/`, 303);
    }
    failed = true;
  }
  const token = csrfToken(app, csrfScope(app, req), req, reply);
  return sendHtml(reply, failed ? 401 : 200, signInView(app, token, failed));
}
