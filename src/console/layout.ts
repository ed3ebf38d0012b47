import type { FastifyReply } from 'fastify';
import { CSRF_FIELD } from '../hosted-ui/csrf.ts';
import { html, SafeHtml } from '../hosted-ui/html.ts';
import { CognitoError } from '../errors.ts';
import { CONSOLE_BASE } from './access.ts';
import type { ConsoleContext } from './page.ts';

/** The console's address of a path of segments, each one escaped: `href('pools', id, 'users')`. */
export const href = (...segments: string[]) => `${CONSOLE_BASE}/${segments.map(encodeURIComponent).join('/')}`;

// Small and plain: landmarks, visible focus, tables that scroll on a phone.
const STYLE = `
*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#16191f;background:#f4f5f7;line-height:1.4}
a{color:#0858a8}a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #0972d3;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:2}
header{background:#232f3e;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:1rem;align-items:center}
header a{color:#fff}header nav ul,nav.pool ul{list-style:none;display:flex;flex-wrap:wrap;gap:1rem;margin:0;padding:0}
header .brand{font-weight:700;margin-right:1rem}header form{margin-left:auto}
nav.pool{background:#fff;border-bottom:1px solid #d1d5db;padding:.5rem 1rem}nav.pool a[aria-current]{font-weight:700}
main{max-width:72rem;margin:1rem auto;padding:0 1rem}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}h3{font-size:1rem}
section{background:#fff;border-radius:6px;padding:1rem;margin:1rem 0;box-shadow:0 1px 3px #0002}section>h2:first-child{margin-top:0}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #e5e7eb;vertical-align:top}
caption{text-align:left;font-weight:600;padding:.3rem 0}td code,dd code{word-break:break-all}
dl{display:grid;grid-template-columns:minmax(10rem,max-content) 1fr;gap:.3rem 1rem}dt{font-weight:600}dd{margin:0;word-break:break-word}
form.inline{display:inline}form.stack label{display:block;margin-top:.6rem;font-weight:600}
input,select,textarea{font:inherit;padding:.35rem;border:1px solid #8d99a8;border-radius:4px;max-width:100%}textarea{width:100%}
button{font:inherit;padding:.35rem .8rem;border:1px solid #0972d3;background:#0972d3;color:#fff;border-radius:4px;cursor:pointer;margin:.3rem 0}
button.secondary{background:#fff;color:#0972d3}button.danger{background:#b42318;border-color:#b42318}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}.row label{display:flex;flex-direction:column;font-weight:600}
.error{background:#fff1f0;border:1px solid #d91515;color:#8b0000;padding:.6rem;border-radius:4px}
.notice{background:#effaf0;border:1px solid #1d8102;padding:.6rem;border-radius:4px}.muted{color:#5f6b7a}
.gap{background:#fffbe6;border:1px dashed #b7791f;padding:.6rem;border-radius:4px}pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f8;padding:.6rem;border-radius:4px}
`;

export interface View {
  title: string;
  body: SafeHtml;
  /** Loads console.js (the outbox's live updates); pages work without it. */
  script?: boolean;
}

const GLOBAL_NAV: [string, string][] = [
  ['User pools', ''],
  ['Identity pools', 'identity-pools'],
  ['Outbox', 'outbox'],
  ['Token inspector', 'tokens'],
];

const POOL_NAV: [string, string][] = [
  ['Overview', ''],
  ['App clients', 'clients'],
  ['Users', 'users'],
  ['Groups', 'groups'],
  ['Identity providers', 'providers'],
];

/** The whole page: a skip link, a header with the site navigation, the pool's navigation when inside a pool, one h1. */
export function layout(cx: ConsoleContext, view: View, messages: { error?: CognitoError; notice?: SafeHtml | string }): string {
  const current = cx.path;
  const link = ([label, path]: [string, string], base: string) => {
    const url = path ? `${base}/${path}` : base === CONSOLE_BASE ? `${base}/` : base;
    const here = current === url || (path !== '' && current.startsWith(`${url}/`));
    return html`<li><a href="${url}" ${here ? new SafeHtml('aria-current="page"') : ''}>${label}</a></li>`;
  };
  const poolId = cx.params.poolId;
  const poolBase = poolId ? href('pools', poolId) : '';
  return html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${view.title} - Tobira console</title><style>${new SafeHtml(STYLE)}</style>${view.script ? html`<script src="${CONSOLE_BASE}/console.js" defer></script>` : ''}</head>
<body><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">Tobira console</span>
<nav aria-label="Console"><ul>${GLOBAL_NAV.map((n) => link(n, CONSOLE_BASE))}</ul></nav>
${cx.signedIn ? html`<form method="post" action="${CONSOLE_BASE}/sign-out">${csrfField(cx)}<button class="secondary" type="submit">Sign out</button></form>` : ''}
</header>
${poolId ? html`<nav class="pool" aria-label="User pool ${poolId}"><ul><li><strong>${poolId}</strong></li>${POOL_NAV.map((n) => link(n, poolBase))}</ul></nav>` : ''}
<main id="main" tabindex="-1">
<h1>${view.title}</h1>
${messages.error ? cognitoErrorBox(messages.error) : ''}
${messages.notice ? html`<p class="notice" role="status">${messages.notice}</p>` : ''}
${view.body}
</main></body></html>`.text;
}

/** Cognito's error name and message, as the API would answer them; announced by screen readers. */
export const cognitoErrorBox = (err: CognitoError, opts: { inline?: boolean } = {}) =>
  opts.inline
    ? html`<p class="gap"><strong>${err.type}</strong>: ${err.message}</p>`
    : html`<div class="error" role="alert" id="error"><strong>${err.type}</strong>: <span class="message">${err.message}</span></div>`;

export const csrfField = (cx: ConsoleContext) => html`<input type="hidden" name="${CSRF_FIELD}" value="${cx.csrf}">`;

/**
 * A form that posts one action of this page (or of `to`), with its CSRF token. `label` names the
 * button for screen readers when its text alone is ambiguous (a "Delete" on every row).
 */
export function form(cx: ConsoleContext, action: string, inner: SafeHtml | string, submit: string, opts: { to?: string; cls?: string; button?: string; label?: string } = {}) {
  return html`<form method="post" action="${opts.to ?? cx.path}" class="${opts.cls ?? 'stack'}">${csrfField(cx)}<input type="hidden" name="_action" value="${action}">${inner}<button type="submit" class="${opts.button ?? ''}"${opts.label ? html` aria-label="${opts.label}"` : ''}>${submit}</button></form>`;
}

let fieldIds = 0;
/** A labelled input; `id` ties the label to it. */
export function input(name: string, label: string, opts: { type?: string; value?: string; required?: boolean; placeholder?: string; autocomplete?: string } = {}) {
  const id = `f${++fieldIds % 1_000_000}-${name.replace(/[^\w-]/g, '')}`;
  return html`<label for="${id}">${label}</label><input id="${id}" name="${name}" type="${opts.type ?? 'text'}" value="${opts.value ?? ''}"${opts.required ? new SafeHtml(' required') : ''}${opts.placeholder ? html` placeholder="${opts.placeholder}"` : ''} autocomplete="${opts.autocomplete ?? 'off'}">`;
}

export function select(name: string, label: string, options: string[], selected?: string) {
  const id = `f${++fieldIds % 1_000_000}-${name}`;
  return html`<label for="${id}">${label}</label><select id="${id}" name="${name}">${options.map((o) => html`<option${o === selected ? new SafeHtml(' selected') : ''}>${o}</option>`)}</select>`;
}

export function checkbox(name: string, label: string, checked = false) {
  const id = `f${++fieldIds % 1_000_000}-${name}`;
  return html`<label for="${id}"><input id="${id}" type="checkbox" name="${name}" value="true"${checked ? new SafeHtml(' checked') : ''}> ${label}</label>`;
}

/** A table with a caption and column headers; `rows` already made of cells. */
export function table(caption: string, headers: string[], rows: unknown[][], empty = 'None.') {
  if (rows.length === 0) return html`<p class="muted">${caption}: ${empty}</p>`;
  return html`<div class="scroll"><table><caption>${caption}</caption><thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
<tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table></div>`;
}

/** Name/value pairs; undefined values are left out. */
export function dl(entries: [string, unknown][]) {
  return html`<dl>${entries.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => html`<dt>${k}</dt><dd>${v instanceof SafeHtml ? v : display(v)}</dd>`)}</dl>`;
}

/** Any wire value as text: arrays joined, objects as JSON. */
export function display(v: unknown): string {
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(', ');
  if (typeof v === 'object' && v !== null) return JSON.stringify(v, null, 1);
  return String(v);
}

/** The wire's epoch seconds as an ISO date. */
export const when = (seconds: number | undefined) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : '');

export const section = (title: string, body: SafeHtml | SafeHtml[], id?: string) =>
  html`<section${id ? html` id="${id}"` : ''} aria-labelledby="h-${title.replace(/\W+/g, '-').toLowerCase()}"><h2 id="h-${title.replace(/\W+/g, '-').toLowerCase()}">${title}</h2>${body}</section>`;

/** Sends a console page: no caching, no framing, scripts only from the console itself. */
export function sendHtml(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'same-origin')
    .header(
      'content-security-policy',
      "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    .send(Buffer.from(text));
}
