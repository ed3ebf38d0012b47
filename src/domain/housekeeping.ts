import type { Clock } from '../clock.ts';
import type { Store } from '../store/store.ts';

/**
 * Sweeps what can no longer matter: refresh tokens past their expiry, revocation marks whose
 * tokens have all expired, verification codes past theirs, signing keys that have left the JWKS
 * and challenge sessions that ended an hour ago. (Rate-limit counters prune themselves as they
 * count: repos/counters.ts.)
 *
 * Every node of a cluster may sweep at once: each statement deletes rows by key, and deleting a
 * row twice is no harm. Rows go in batches, each its own statement, so a sweep never holds the
 * database for long.
 */
export interface SweepResult {
  refreshTokensAndRevocations: number;
  codes: number;
  keys: number;
  sessions: number;
  /** Authentication events older than the retention (--auth-event-retention-days; threat/). */
  authEvents?: number;
}

const BATCH = 1000;
const HOUR = 60 * 60 * 1000;

async function drain(purge: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await purge();
    total += n;
    if (n < BATCH) return total;
  }
}

export async function sweepExpired(env: { store: Store; clock: Clock; config?: { authEventRetentionDays?: number } }): Promise<SweepResult> {
  const { store } = env;
  const now = env.clock.now();
  return {
    refreshTokensAndRevocations: await drain(() => store.tokens.purgeExpired(now, BATCH)),
    // Verification codes, and the hosted UI's authorization codes and sessions (hosted-ui/).
    codes: (await drain(() => store.codes.purgeExpired(now, BATCH))) + (await drain(() => store.oauthArtifacts.purgeExpired(now, BATCH))),
    keys: await drain(() => store.keys.purgeExpired(now, BATCH)),
    // A used or expired session is told apart from garbage for an hour (auth/sessions.ts).
    // Also the temporary AWS credentials of identity pools (STS sessions), a day past their expiry
    // (domain/identity/credentials.ts keeps them that long to answer ExpiredToken).
    sessions: (await store.sessions.prune(now - HOUR)) + (await drain(() => store.temporaryCredentials.purgeExpired(now - 24 * HOUR, BATCH))),
    // Cognito keeps user event history two years (developer guide, "Viewing user event history").
    authEvents: await drain(() => store.authEvents.purgeOlderThan(now - (env.config?.authEventRetentionDays ?? 730) * 24 * HOUR, BATCH)),
  };
}

/** How often a running server sweeps; its first sweep comes one interval after it starts. */
export const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
