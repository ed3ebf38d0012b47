import type { App } from '../../app.ts';
import type { AuthOutcome } from '../sign-in/result.ts';
import type { SignInContext } from '../sign-in/sign-in.ts';
import type { AppClient, User, UserPool } from '../types.ts';

/**
 * DEVICE_SRP_AUTH when the sign-in names a remembered device of this user that lets it skip
 * MFA, else null. SEAM: filled in by the devices work.
 */
export async function deviceChallenge(
  _app: App,
  _pool: UserPool,
  _client: AppClient,
  _user: User,
  _ctx: SignInContext,
): Promise<AuthOutcome | null> {
  return null;
}
