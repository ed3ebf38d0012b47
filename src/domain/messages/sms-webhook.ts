import type { OutgoingMessage } from './messenger.ts';

/**
 * Sends SMS through an operator's HTTP endpoint: POST JSON
 * `{destination, body, kind, poolId, username}`; any 2xx is a delivery.
 */
export class SmsWebhookTarget {
  constructor(private readonly url: string) {}

  async send(m: OutgoingMessage): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ destination: m.destination, body: m.body, kind: m.kind, poolId: m.poolId, username: m.username }),
      signal: AbortSignal.timeout(10_000),
    });
    // Drain the body so the connection is released.
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`SMS webhook answered HTTP ${res.status}`);
  }
}
