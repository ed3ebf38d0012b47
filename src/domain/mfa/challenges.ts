import type { App } from '../../app.ts';
import type { AuthOutcome } from '../sign-in/result.ts';
import type { SignInContext } from '../sign-in/sign-in.ts';
import type { AppClient, User, UserPool } from '../types.ts';

/**
 * The MFA challenge a user owes after the first factor (SOFTWARE_TOKEN_MFA, SMS_MFA, EMAIL_OTP,
 * SELECT_MFA_TYPE, MFA_SETUP), or null when none is due. SEAM: filled in by the MFA work.
 */
export async function mfaChallenge(
  _app: App,
  _pool: UserPool,
  _client: AppClient,
  _user: User,
  _ctx: SignInContext,
): Promise<AuthOutcome | null> {
  return null;
}
