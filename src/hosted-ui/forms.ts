import { CognitoError } from '../errors.ts';
import { computeSecretHash } from '../domain/sign-in/secret-hash.ts';
import type { AppClient } from '../domain/types.ts';
import { AuthorizeRefused, type AuthorizeRequest, checkAuthorizeRequest } from './authorize-request.ts';
import type { HostedContext } from './context.ts';
import { CSRF_FIELD, csrfToken, csrfValid } from './csrf.ts';
import { errorBox, html, page, type SafeHtml } from './html.ts';
import { answerRefusal } from './refusal.ts';
import { Params, queryString, sendPage } from './request.ts';

/** A field of a hosted-UI form. */
export interface Field {
  name: string;
  label: string;
  type?: 'text' | 'password' | 'email' | 'tel';
  autocomplete?: string;
}

export interface FormPage {
  title: string;
  /** The path of the page under the domain ('/signup' ...); the form posts to itself. */
  path: string;
  fields: (ctx: HostedContext, ar: AuthorizeRequest) => Field[];
  submit: string;
  intro?: (ctx: HostedContext) => SafeHtml | string;
  /** Shown under the button (sign-up's terms). */
  outro?: (ctx: HostedContext) => SafeHtml | string;
  links?: (base: string, q: string) => SafeHtml;
  /** What a valid submission does; returns where to go next (a URL), or throws CognitoError. */
  act: (ctx: HostedContext, ar: AuthorizeRequest, values: Record<string, string>) => Promise<string>;
}

/** The query of the page with `extra` set (for the next page of a flow). */
export function withQuery(ctx: HostedContext, path: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams(queryString(ctx.req).slice(1));
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return `${ctx.hd.base}${path}?${q}`;
}

/** SECRET_HASH for a self-service call made on behalf of the hosted UI (it holds the secret). */
export const secretHashFor = (client: AppClient, username: string) =>
  client.clientSecret === null ? undefined : computeSecretHash(client.clientSecret, username, client.clientId);

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

function render(ctx: HostedContext, ar: AuthorizeRequest, f: FormPage, values: Record<string, string>, error?: string) {
  const q = queryString(ctx.req);
  const token = csrfToken(ctx.app, ctx.hd, ctx.req, ctx.reply);
  const fields = f.fields(ctx, ar).map(
    (x, i) => html`
  <label for="${x.name}" class="label-customizable">${x.label}</label>
  <input id="${x.name}" name="${x.name}" class="inputField-customizable" type="${x.type ?? 'text'}"${x.autocomplete ? html` autocomplete="${x.autocomplete}"` : ''} required${i === 0 ? html` autofocus` : ''}${
    x.type === 'password' ? '' : html` value="${values[x.name] ?? ''}"`
  }${error ? html` aria-describedby="error"` : ''}>`,
  );
  const body = html`${f.intro ? f.intro(ctx) : ''}${errorBox(error)}
<form method="post" action="${ctx.hd.base}${f.path}${q}" novalidate>
  <input type="hidden" name="${CSRF_FIELD}" value="${token}">${fields}
  <button type="submit" class="submitButton-customizable">${f.submit}</button>
</form>
${f.outro ? f.outro(ctx) : ''}${f.links ? f.links(ctx.hd.base, q) : ''}`;
  return page(f.title, body, { clientName: ar.client.config.ClientName, look: ctx.look });
}

/** GET and POST handlers of a form page: CSRF-checked, the domain's errors shown on the form. */
export function formEndpoints(f: FormPage) {
  const show = async (ctx: HostedContext) => {
    const ar = await checked(ctx);
    if (!ar) return ctx.reply;
    const prefill: Record<string, string> = {};
    const username = new URLSearchParams(queryString(ctx.req).slice(1)).get('username');
    if (username) prefill.username = username;
    return sendPage(ctx.reply, 200, render(ctx, ar, f, prefill));
  };
  const submit = async (ctx: HostedContext) => {
    const ar = await checked(ctx);
    if (!ar) return ctx.reply;
    const form = Params.form(ctx.req);
    if (!csrfValid(ctx.req, form.get(CSRF_FIELD))) {
      return sendPage(ctx.reply, 403, page('Error', html`<p role="alert">Your session has expired or the form was not sent from this page. Go back and try again.</p>`));
    }
    const values: Record<string, string> = {};
    for (const x of f.fields(ctx, ar)) values[x.name] = form.get(x.name) ?? '';
    const missing = f.fields(ctx, ar).find((x) => !values[x.name]);
    if (missing) return sendPage(ctx.reply, 200, render(ctx, ar, f, values, `${missing.label} is required.`));
    try {
      return ctx.reply.redirect(await f.act(ctx, ar, values), 302);
    } catch (err) {
      if (err instanceof CognitoError) return sendPage(ctx.reply, 200, render(ctx, ar, f, values, err.message));
      throw err;
    }
  };
  return { show, submit };
}
