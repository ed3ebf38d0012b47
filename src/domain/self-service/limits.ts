import type { App } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import type { Store } from '../../store/store.ts';

const HOUR = 60 * 60 * 1000;

/**
 * Per-user attempt limits per hour, as Cognito documents them (cognito-quotas-and-errors.md
 * section 4): ResendConfirmationCode 5, ConfirmSignUp 15, GetUserAttributeVerificationCode 5,
 * VerifyUserAttribute 15; password reset 5-20 depending on a risk score Tobira does not
 * compute, so the lenient end, 20, for requesting and for entering a reset code.
 */
export const HOURLY_LIMITS = {
  ResendConfirmationCode: 5,
  ConfirmSignUp: 15,
  ForgotPassword: 20,
  ConfirmForgotPassword: 20,
  GetUserAttributeVerificationCode: 5,
  VerifyUserAttribute: 15,
} as const;

export type LimitedOperation = keyof typeof HOURLY_LIMITS;

export const attemptLimitExceeded = () =>
  new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');

/**
 * Counts one call of `op` for the user and refuses it once the hour's allowance is spent. The
 * count is one atomic statement in the store, so concurrent calls and other nodes share it.
 */
export async function countAttempt(app: App, store: Store, op: LimitedOperation, poolId: string, usernameKey: string): Promise<void> {
  const n = await store.counters.hit(`${op}:${poolId}:${usernameKey}`, app.clock.now(), HOUR);
  if (n > HOURLY_LIMITS[op]) throw attemptLimitExceeded();
}
