import type { App } from '../../app.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { newPasswordChallenge } from './new-password.ts';
import { type AuthOutcome, tokensOutcome } from './result.ts';

/**
 * What follows a correct password or SRP proof: the NEW_PASSWORD_REQUIRED challenge for a user
 * still on a temporary password, else tokens. (MFA and device challenges will slot in here.)
 */
export async function finishSignIn(app: App, pool: UserPool, client: AppClient, user: User): Promise<AuthOutcome> {
  if (user.status === 'FORCE_CHANGE_PASSWORD') return newPasswordChallenge(app, pool, client, user);
  return tokensOutcome(app, pool, client, user);
}
