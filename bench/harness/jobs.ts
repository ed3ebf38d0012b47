// The messages between the bench and its load generator (load-worker.ts), a separate process so
// that the load's own CPU is not the server's, nor the bench's.

/** One HTTP request, serialized once and replayed. */
export interface WireRequest {
  path: string;
  headers: Record<string, string>;
  /** The body; `{{n}}` in it, if any, becomes a number unique within the generator (for creates). */
  body: string;
}

export type Job =
  | { kind: 'http'; url: string; requests: WireRequest[]; concurrency: number; seconds: number }
  /**
   * USER_SRP_AUTH, both round trips. The client half by test/helpers/srp-client.ts ('library':
   * amazon-cognito-identity-js's arithmetic, ~0.4 s of CPU a sign-in) or by OpenSSL's
   * ('fast': srp-fast-client.ts), so that the generator is not what limits the figure.
   */
  | { kind: 'srp'; client: 'library' | 'fast'; url: string; poolId: string; clientId: string; usernames: string[]; password: string; concurrency: number; seconds: number }
  /** Ceilings: argon2id hashes with `concurrency` in flight (the server's thread pool), RS256 in one thread. */
  | { kind: 'argon2'; concurrency: number; seconds: number }
  | { kind: 'rs256-sign' | 'rs256-verify'; seconds: number }
  /** SRP's modular exponentiation as the server does it (modPowN: 3072-bit N, an exponent the size of b), one thread. */
  | { kind: 'srp-modpow'; seconds: number };

export interface JobResult {
  count: number;
  errors: number;
  firstError?: string;
  elapsedSec: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU seconds the generator itself spent (process.cpuUsage), to tell when it is the bottleneck. */
  generatorCpuSec: number;
}
