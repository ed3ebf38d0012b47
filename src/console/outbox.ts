import type { App } from '../app.ts';
import { html, type SafeHtml } from '../hosted-ui/html.ts';
import type { OutboxMessage } from '../store/repos/outbox.ts';
import { CONSOLE_BASE } from './access.ts';
import { href, section } from './layout.ts';
import type { ConsolePage } from './page.ts';

// seq values are epoch ms x 1024: 16 digits, exact in a double.
const seqOf = (v: string | null) => (v !== null && /^\d{1,16}$/.test(v) ? Number(v) : undefined);
const POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

function row(m: OutboxMessage): SafeHtml {
  const d = m.data as { kind?: unknown; username?: unknown; code?: unknown; delivery?: unknown };
  return html`<tr data-seq="${m.seq}"><td>${new Date(m.createdAt).toISOString()}</td><td>${m.channel}</td><td>${m.destination}</td>
<td>${m.poolId ? html`<a href="${href('pools', m.poolId)}">${m.poolId}</a>` : ''}</td><td>${d.kind === undefined ? '' : String(d.kind)}</td><td>${d.username === undefined ? '' : String(d.username)}</td>
<td>${d.code === undefined ? '' : html`<code class="code">${String(d.code)}</code>`}</td>
<td><details><summary>${m.subject ?? '(SMS)'}</summary><pre>${m.body}</pre></details></td></tr>`;
}

/**
 * The rows newer than `after` (newest first), for the live outbox's script; the same markup the
 * page renders, escaped the same way.
 */
export async function outboxRows(app: App, q: URLSearchParams): Promise<string> {
  const after = seqOf(q.get('after'));
  if (after === undefined) return '';
  const pool = q.get('pool');
  const messages = await app.store.outbox.list({ afterSeq: after, poolId: pool && POOL_ID.test(pool) ? pool : undefined, limit: 200 });
  return html`${messages.reverse().map(row)}`.text;
}

/**
 * The outbox: every email and SMS Tobira kept (development mode, or a channel with no real
 * target), with its code, newest first. console.js adds new ones as they arrive.
 */
export const outboxPages: ConsolePage[] = [
  {
    path: '/outbox',
    unrestricted: true,
    async view(cx) {
      const pool = cx.query.get('pool') ?? '';
      const to = cx.query.get('to') ?? '';
      const messages = (await cx.app.store.outbox.list({ poolId: pool || undefined, to: to || undefined, limit: 200 })).reverse();
      const newest = messages[0]?.seq ?? 0;
      const devMode = cx.app.config.devMode;
      return {
        title: 'Outbox',
        script: true,
        body: html`${section(
          'Filter',
          html`<form method="get" action="${CONSOLE_BASE}/outbox" class="row" role="search">
<label for="ob-pool">User pool id<input id="ob-pool" name="pool" value="${pool}"></label>
<label for="ob-to">To (address or number)<input id="ob-to" name="to" value="${to}"></label>
<button type="submit">Filter</button></form>
${devMode ? '' : html`<p class="muted">Not in development mode: the outbox keeps only messages for a channel without SMTP or an SMS webhook, and no codes are shown in logs.</p>`}`,
        )}
${section(
  'Messages',
  html`<p class="muted" id="live-status" aria-live="polite">The newest ${messages.length} message(s). Reload for new ones.</p>
<div class="scroll"><table id="outbox" data-after="${newest}" data-pool="${to ? '' : pool}"${to ? html` data-paused="true"` : ''}><caption>Messages, newest first</caption>
<thead><tr><th scope="col">Sent</th><th scope="col">Channel</th><th scope="col">To</th><th scope="col">Pool</th><th scope="col">Kind</th><th scope="col">Username</th><th scope="col">Code</th><th scope="col">Message</th></tr></thead>
<tbody>${messages.map(row)}</tbody></table></div>`,
)}`,
      };
    },
  },
];

