import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';

/**
 * Asks Tobira whether a (signature-checked) token was revoked by GlobalSignOut, AdminUserGlobalSignOut
 * or RevokeToken: `POST <endpoint>/_tobira/token-status {"token"}` -> `{"active": boolean}`.
 * API Gateway itself never checks this (it only verifies the JWT); Tobira's gateway does, and keeps
 * each answer for `cacheMs` so an authorized burst costs one call. Tobira unreachable = refused.
 */
export class TokenStatusClient {
  private readonly cache = new Map<string, { active: boolean; at: number }>();
  private readonly inflight = new Map<string, Promise<boolean>>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly cacheMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  async active(endpoint: string, token: string): Promise<boolean> {
    const key = `${endpoint} ${token}`;
    const hit = this.cache.get(key);
    if (hit && this.clock.now() - hit.at < this.cacheMs) return hit.active;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.ask(endpoint, token).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    const active = await p;
    if (this.cacheMs > 0) {
      if (this.cache.size >= this.maxEntries) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, { active, at: this.clock.now() });
    }
    return active;
  }

  private async ask(endpoint: string, token: string): Promise<boolean> {
    try {
      const res = await fetch(`${endpoint}/_tobira/token-status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
        signal: AbortSignal.timeout(3000),
      });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      const body = (await res.json()) as { active?: unknown };
      return body.active === true;
    } catch (err) {
      this.log.warn({ endpoint, err: (err as Error).message }, 'gateway: token status unavailable; refusing the token');
      return false;
    }
  }
}
