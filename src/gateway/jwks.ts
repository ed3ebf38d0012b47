import type { JWK } from 'jose';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';

/**
 * A user pool's signing keys and issuer, read over HTTP from Tobira (so the gateway works
 * against a Tobira in another process or on another machine):
 * `<endpoint>/<poolId>/.well-known/jwks.json` and `.../openid-configuration`.
 * Keys stay cached; an unknown kid refetches the JWKS at once, so a token signed after
 * `tobira keys rotate` passes on its first request. Only a fetch that failed, or came back
 * without the kid asked for, holds further fetches back for `minRefreshMs` (aws-jwt-verify's
 * "penalty box" does the same with 10 s), so tokens with made-up kids cannot flood Tobira.
 * A JWKS older than `maxAgeMs` is refetched so a key the pool has dropped stops working.
 */
export class PoolKeys {
  private readonly pools = new Map<string, PoolEntry>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly minRefreshMs = 10_000,
    private readonly maxAgeMs = 10 * 60_000,
  ) {}

  /** The verification key for `kid`, or null when the pool has no such key. */
  async key(endpoint: string, poolId: string, kid: string): Promise<CryptoKey | null> {
    const e = this.entry(endpoint, poolId);
    const now = this.clock.now();
    const fresh = e.fetchedAt !== null && now - e.fetchedAt < this.maxAgeMs;
    if (fresh && e.keys.has(kid)) return e.keys.get(kid)!;
    // While Tobira cannot be reached, keys already known keep working.
    if (e.lastMiss === null || now - e.lastMiss >= this.minRefreshMs) {
      await this.refresh(e);
      if (!e.keys.has(kid)) e.lastMiss = this.clock.now();
    }
    return e.keys.get(kid) ?? null;
  }

  /**
   * The issuers a token of this pool may name: the one the pool's discovery document states
   * (Tobira's URL or Cognito's form, depending on how Tobira was started).
   */
  async issuers(endpoint: string, poolId: string): Promise<string[]> {
    const e = this.entry(endpoint, poolId);
    const now = this.clock.now();
    if (e.issuer && now - e.issuer.at < (e.issuer.discovered ? this.maxAgeMs : this.minRefreshMs)) return e.issuer.values;
    e.issuerInflight ??= this.discover(endpoint, poolId).finally(() => (e.issuerInflight = null));
    e.issuer = await e.issuerInflight;
    return e.issuer.values;
  }

  private entry(endpoint: string, poolId: string): PoolEntry {
    const id = `${endpoint}/${poolId}`;
    let e = this.pools.get(id);
    if (!e) {
      e = { url: `${id}/.well-known/jwks.json`, keys: new Map(), fetchedAt: null, lastMiss: null, inflight: null, issuer: null, issuerInflight: null };
      this.pools.set(id, e);
    }
    return e;
  }

  private refresh(e: PoolEntry): Promise<void> {
    // Concurrent misses share one fetch.
    e.inflight ??= this.fetchKeys(e).finally(() => (e.inflight = null));
    return e.inflight;
  }

  private async fetchKeys(e: PoolEntry): Promise<void> {
  // jose is loaded on first use, not at start.
    const { importJWK } = await import('jose');
    let body: unknown;
    try {
      const res = await fetch(e.url, { signal: AbortSignal.timeout(3000) });
      if (res.status !== 200) throw new Error(`status ${res.status}`);
      body = await res.json();
    } catch (err) {
      this.log.warn({ url: e.url, err: (err as Error).message }, 'gateway: cannot fetch the JWKS');
      e.lastMiss = this.clock.now();
      return;
    }
    const list = (body as { keys?: unknown })?.keys;
    if (!Array.isArray(list)) {
      this.log.warn({ url: e.url }, 'gateway: the JWKS has no keys array');
      e.lastMiss = this.clock.now();
      return;
    }
    const keys = new Map<string, CryptoKey>();
    for (const jwk of list as JWK[]) {
      // Cognito signs with RS256 only; a JWK meant for encryption never verifies a token.
      if (!jwk || jwk.kty !== 'RSA' || typeof jwk.kid !== 'string') continue;
      if (jwk.use !== undefined && jwk.use !== 'sig') continue;
      if (jwk.alg !== undefined && jwk.alg !== 'RS256') continue;
      try {
        keys.set(jwk.kid, (await importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, 'RS256')) as CryptoKey);
      } catch {
        this.log.warn({ url: e.url, kid: jwk.kid }, 'gateway: skipping an unusable JWK');
      }
    }
    e.keys = keys;
    e.fetchedAt = this.clock.now();
  }

  private async discover(endpoint: string, poolId: string): Promise<IssuerEntry> {
    const at = this.clock.now();
    const url = `${endpoint}/${poolId}/.well-known/openid-configuration`;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.status === 200) {
        const doc = (await res.json()) as { issuer?: unknown };
        if (typeof doc.issuer === 'string' && doc.issuer.endsWith(`/${poolId}`)) {
          return { values: [doc.issuer], at, discovered: true };
        }
      }
      this.log.warn({ url, status: res.status }, 'gateway: no usable openid-configuration; accepting both issuer forms');
    } catch (err) {
      this.log.warn({ url, err: (err as Error).message }, 'gateway: cannot fetch the openid-configuration; accepting both issuer forms');
    }
    // Without discovery, either of the issuers Tobira can be started with; the signature
    // is still checked against this pool's own keys.
    const region = poolId.slice(0, poolId.indexOf('_'));
    return { values: [`${endpoint}/${poolId}`, `https://cognito-idp.${region}.amazonaws.com/${poolId}`], at, discovered: false };
  }
}

interface IssuerEntry {
  values: string[];
  at: number;
  discovered: boolean;
}

interface PoolEntry {
  url: string;
  keys: Map<string, CryptoKey>;
  fetchedAt: number | null;
  /** When a fetch last failed or lacked a kid a token named; null: never. */
  lastMiss: number | null;
  inflight: Promise<void> | null;
  issuer: IssuerEntry | null;
  issuerInflight: Promise<IssuerEntry> | null;
}
