import assert from 'node:assert/strict';

/** The outbox of a running Tobira, through GET /_tobira/outbox (loopback caller). */
export async function outboxMessages(url: string, q: { to?: string; pool?: string } = {}): Promise<any[]> {
  const u = new URL('/_tobira/outbox', url);
  if (q.to) u.searchParams.set('to', q.to);
  if (q.pool) u.searchParams.set('pool', q.pool);
  const res = await fetch(u);
  assert.equal(res.status, 200);
  return ((await res.json()) as { messages: any[] }).messages;
}

/** The six-digit code in the newest message to `to`, read from its body as a person would. */
export async function lastCode(url: string, to: string): Promise<string> {
  const messages = await outboxMessages(url, { to });
  assert.ok(messages.length, `no message to ${to} in the outbox`);
  const m = /\b(\d{6})\b/.exec(messages.at(-1).body);
  assert.ok(m, `no code in: ${messages.at(-1).body}`);
  return m[1];
}
