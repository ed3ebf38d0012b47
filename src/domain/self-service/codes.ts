import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import { attemptLimitExceeded } from './limits.ts';
import type { StoredCode } from '../../store/repos/codes.ts';
import type { Store } from '../../store/store.ts';

/**
 * Verification codes: six digits from node:crypto, stored only as a keyed hash, one live code
 * per user and purpose (a new one voids the old), single use, expiring as Cognito's do.
 */

const HOUR = 60 * 60 * 1000;

/** Lifetimes documented by Cognito (cognito-quotas-and-errors.md section 4). */
export const CODE_VALIDITY_MS = {
  'sign-up': 24 * HOUR,
  'forgot-password': HOUR,
  verify: 24 * HOUR,
} as const;

/** `sign-in:EMAIL_OTP` / `sign-in:SMS_OTP`: USER_AUTH's passwordless codes (mfa/user-auth.ts), which say their own validity. */
export type CodePurpose = 'sign-up' | 'forgot-password' | `verify:${string}` | `sign-in:${string}`;

export const validityOf = (purpose: CodePurpose) =>
  purpose.startsWith('verify:') || purpose.startsWith('sign-in:') ? CODE_VALIDITY_MS.verify : CODE_VALIDITY_MS[purpose as 'sign-up' | 'forgot-password'];

/**
 * Wrong entries one code survives. Observed for password-reset codes: five wrong entries answer
 * CodeMismatchException, the sixth LimitExceededException (aws-amplify/amplify-ui-android#180);
 * a new ForgotPassword code starts again. The model also lists TooManyFailedAttemptsException on
 * ConfirmSignUp / ConfirmForgotPassword, but no report shows Cognito answering it for a code, so
 * Tobira answers what was seen. Sign-up and attribute codes are bounded by the hourly limits only
 * (15 entries an hour, limits.ts), as Cognito documents them.
 */
export const MAX_WRONG_ENTRIES: Partial<Record<string, number>> = { 'forgot-password': 5 };

export const codeMismatch = () => new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
export const codeExpired = () => new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.');

/** The hash binds the code to its pool, user and purpose, so a stored hash is useless elsewhere. */
function hashCode(poolId: string, usernameKey: string, purpose: string, code: string): string {
  return createHmac('sha256', `${poolId}\u0000${usernameKey}\u0000${purpose}`).update(code).digest('hex');
}

export function newCode(digits = 6): string {
  return String(randomInt(0, 10 ** digits)).padStart(digits, '0');
}

/**
 * Creates and stores a code (inside the caller's transaction when `store` is bound to one) and
 * returns it in clear, to be sent once and forgotten.
 */
export async function issueCode(
  app: App,
  store: Store,
  c: { poolId: string; usernameKey: string; purpose: CodePurpose; data?: Record<string, unknown>; validityMs?: number; digits?: number },
): Promise<string> {
  const code = newCode(c.digits);
  const now = app.clock.now();
  await store.codes.put({
    poolId: c.poolId,
    usernameKey: c.usernameKey,
    purpose: c.purpose,
    codeHash: hashCode(c.poolId, c.usernameKey, c.purpose, code),
    data: c.data ?? {},
    attempts: 0,
    createdAt: now,
    expiresAt: now + (c.validityMs ?? validityOf(c.purpose)),
  });
  return code;
}

export type CodeCheck = { ok: true; stored: StoredCode } | { ok: false; error: CognitoError };

/**
 * Compares a typed code with the stored one without consuming it. No code, or an expired one,
 * is ExpiredCodeException (Cognito's answer when no code was requested); a wrong one
 * CodeMismatchException.
 */
export async function checkCode(app: App, store: Store, poolId: string, usernameKey: string, purpose: CodePurpose, code: string): Promise<CodeCheck> {
  const stored = await store.codes.get(poolId, usernameKey, purpose);
  if (!stored) return { ok: false, error: codeExpired() };
  const cap = MAX_WRONG_ENTRIES[purpose];
  if (cap !== undefined && stored.attempts >= cap) return { ok: false, error: attemptLimitExceeded() };
  const given = Buffer.from(hashCode(poolId, usernameKey, purpose, code), 'hex');
  const expected = Buffer.from(stored.codeHash, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, error: codeMismatch() };
  if (stored.expiresAt <= app.clock.now()) return { ok: false, error: codeExpired() };
  return { ok: true, stored };
}

/**
 * Redeems a code inside the caller's transaction: checks it and deletes it, so two concurrent
 * redemptions cannot both succeed. A wrong code is counted on the stored row; the caller
 * decides whether that count must survive the failure (see redeemOrThrow).
 */
export async function redeemCode(app: App, store: Store, poolId: string, usernameKey: string, purpose: CodePurpose, code: string): Promise<CodeCheck> {
  const check = await checkCode(app, store, poolId, usernameKey, purpose, code);
  if (!check.ok) return { ok: false, error: await countWrongEntry(store, poolId, usernameKey, purpose, check.error) };
  // The delete re-checks the cap, so a right code racing the wrong entries that spend it loses.
  if (!(await store.codes.delete(poolId, usernameKey, purpose, MAX_WRONG_ENTRIES[purpose]))) {
    return { ok: false, error: codeExpired() };
  }
  return check;
}

/**
 * Counts a wrong entry on the stored code (one atomic statement) and returns the error to
 * answer: once the entry spends the code's allowance, LimitExceededException, even for the
 * entry that spent it concurrently with others.
 */
export async function countWrongEntry(store: Store, poolId: string, usernameKey: string, purpose: CodePurpose, error: CognitoError): Promise<CognitoError> {
  if (error.type !== 'CodeMismatchException') return error;
  const attempts = await store.codes.recordFailure(poolId, usernameKey, purpose);
  const cap = MAX_WRONG_ENTRIES[purpose];
  return cap !== undefined && attempts !== undefined && attempts > cap ? attemptLimitExceeded() : error;
}
