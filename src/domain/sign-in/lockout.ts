import type { App } from '../../app.ts';
import { notAuthorized } from '../../errors.ts';
import type { Store } from '../../store/store.ts';
import type { User } from '../types.ts';

/**
 * Cognito's sign-in lockout (cognito-protocols.md §6.10, the Developer Guide's authentication-flow
 * page): after 5 failed attempts the user is locked for 1 s, doubling with each further failure
 * (2^(n-5) s for the n-th) up to 15 minutes; attempts during a lock fail with "Password attempts
 * exceeded" and do not extend it; 15 minutes without attempts start the count again.
 */
const FREE_ATTEMPTS = 4;
const MAX_LOCK_MS = 15 * 60 * 1000;
const RESET_AFTER_MS = 15 * 60 * 1000;

/** Lock length after the n-th consecutive failure (index n - 1), ending at the 15-minute cap. */
const LOCK_MS: (number | null)[] = [];
for (let n = 1; ; n++) {
  if (n <= FREE_ATTEMPTS) {
    LOCK_MS.push(null);
    continue;
  }
  const ms = Math.min(2 ** (n - 5) * 1000, MAX_LOCK_MS);
  LOCK_MS.push(ms);
  if (ms === MAX_LOCK_MS) break;
}

export const passwordAttemptsExceeded = () => notAuthorized('Password attempts exceeded');

/**
 * Call before checking a password or SRP proof: counts the attempt as failed up front, so that
 * concurrent guesses cannot all slip through before the first failure is recorded, and refuses
 * while locked. A correct answer then calls attemptSucceeded.
 */
export async function beginAttempt(app: App, store: Store, user: User): Promise<void> {
  const now = app.clock.now();
  const lockUntil = LOCK_MS.map((ms) => (ms === null ? null : now + ms));
  const allowed = await store.users.beginSignInAttempt(user.poolId, user.usernameKey, now, now - RESET_AFTER_MS, lockUntil);
  if (!allowed) throw passwordAttemptsExceeded();
}

export async function attemptSucceeded(store: Store, user: User): Promise<void> {
  await store.users.clearSignInFailures(user.poolId, user.usernameKey);
}

/**
 * An answer checked before it is counted (an SRP proof, whose check is a few milliseconds of
 * arithmetic, not an argon2id hash) is refused at once when `user`, as read before the check, is
 * locked; settleCheckedAttempt decides for answers whose read found no lock.
 */
export function refuseWhileLocked(app: App, user: User): void {
  if (user.lockedUntil !== null && user.lockedUntil > app.clock.now()) throw passwordAttemptsExceeded();
}

/**
 * Settles an answer checked before it was counted, by statements that each look at the lock as
 * it is now: a wrong answer is counted unless the user is locked (beginAttempt's statement); a
 * right one passes when the user has no failures (one read, nothing written), or clears them
 * unless the user is locked (one conditional statement). Concurrent answers thus settle one at a
 * time, as beginAttempt's do, and no answer's outcome is told before it is settled: once the
 * fifth failure in a row is counted, every later answer, right or wrong, gets "Password attempts
 * exceeded". Throws that while locked; otherwise returns `ok`.
 */
export async function settleCheckedAttempt(app: App, store: Store, user: User, ok: boolean): Promise<boolean> {
  if (!ok) {
    await beginAttempt(app, store, user);
    return false;
  }
  const lock = await store.users.signInLock(user.poolId, user.usernameKey);
  if (lock?.failedAttempts === 0 && lock.lockedUntil === null) return true;
  if (!(await store.users.clearSignInFailuresUnlessLocked(user.poolId, user.usernameKey, app.clock.now()))) throw passwordAttemptsExceeded();
  return true;
}
