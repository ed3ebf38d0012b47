/**
 * The console's one script: the outbox page adds new messages at the top as they arrive. The
 * page works without it (reload); it polls the console's own rows fragment, which the server
 * renders and escapes exactly as the page's rows. A string here rather than a file, so the
 * bundle (scripts/build.mjs) carries it without a copy step.
 */
export const CONSOLE_SCRIPT = `'use strict';
(() => {
  const table = document.getElementById('outbox');
  if (!table || table.dataset.paused) return;
  const body = table.querySelector('tbody');
  const status = document.getElementById('live-status');
  if (status) status.textContent = 'Live: new messages appear at the top.';
  let busy = false;
  async function poll() {
    if (busy || document.hidden) return;
    busy = true;
    try {
      const q = new URLSearchParams({ after: table.dataset.after || '0' });
      if (table.dataset.pool) q.set('pool', table.dataset.pool);
      const res = await fetch(\`/_tobira/console/outbox/rows?\${q}\`, { credentials: 'same-origin', cache: 'no-store' });
      if (!res.ok) return;
      const text = await res.text();
      if (!text.trim()) return;
      const tpl = document.createElement('template');
      tpl.innerHTML = text;
      const rows = [...tpl.content.querySelectorAll('tr')];
      if (!rows.length) return;
      table.dataset.after = rows[0].dataset.seq;
      body.prepend(...rows);
      if (status) status.textContent = \`Live: \${rows.length} new message(s) arrived.\`;
    } finally {
      busy = false;
    }
  }
  setInterval(poll, 1500);
})();
`;
