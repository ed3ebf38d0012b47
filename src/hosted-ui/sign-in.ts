import type { App } from '../app.ts';
import { CognitoError, userNotFound } from '../errors.ts';
import { mfaChallenge } from '../domain/mfa/challenges.ts';
import { preventUserExistenceErrors } from '../domain/pools/app-clients.ts';
import { attemptSucceeded, beginAttempt } from '../domain/sign-in/lockout.ts';
import { incorrectCredentials } from '../domain/sign-in/result.ts';
import { checkTemporaryPassword, checkUserCanSignIn } from '../domain/sign-in/user-state.ts';
import { preAuthentication } from '../domain/triggers/pre-authentication.ts';
import { triggerFunction } from '../domain/triggers/invoke.ts';
import { migrateUser } from '../domain/triggers/user-migration.ts';
import type { AppClient, User, UserPool } from '../domain/types.ts';
import { dummyPasswordHash, verifyPassword } from '../domain/users/passwords.ts';
import { findUser } from '../domain/users/users.ts';

/**
 * The password step of /login, made of the same domain steps as USER_PASSWORD_AUTH
 * (sign-in/password.ts) so every surface refuses alike: PreAuthentication, UserMigration for an
 * unknown user, the user's state, lockout (counted before the hash is checked), the temporary
 * password's age. The hosted UI is its own client authentication, so no SECRET_HASH is asked,
 * and ExplicitAuthFlows (an API setting) does not apply. Throws CognitoError with the API's texts.
 */
export async function hostedPasswordSignIn(app: App, pool: UserPool, client: AppClient, username: string, password: string): Promise<User> {
  const existing = await findUser(app.store, pool, username);
  if (triggerFunction(pool, 'PreAuthentication') && (existing || preventUserExistenceErrors(client) === 'ENABLED')) {
    await preAuthentication(app, pool, { user: existing ?? null, userName: username, clientId: client.clientId, clientMetadata: {} });
  }
  const user =
    existing ?? (await migrateUser(app, pool, { source: 'UserMigration_Authentication', userName: username, clientId: client.clientId, password }));
  if (!user) {
    if (preventUserExistenceErrors(client) !== 'ENABLED') throw userNotFound();
    await verifyPassword(await dummyPasswordHash(), password);
    throw incorrectCredentials();
  }
  checkUserCanSignIn(client, user);
  await beginAttempt(app, app.store, user);
  if (!(await verifyPassword(user.passwordHash, password))) throw incorrectCredentials();
  await attemptSucceeded(app.store, user);
  checkTemporaryPassword(app, user);
  if (user.status === 'FORCE_CHANGE_PASSWORD') {
    throw new CognitoError('NotAuthorizedException', 'A new password is required; the hosted UI does not offer this step yet. Set it with RespondToAuthChallenge.');
  }
  // A user who must give a second factor never gets past this page without it.
  if (await mfaChallenge(app, pool, client, user, { firstFactor: 'PASSWORD' })) {
    throw new CognitoError('NotAuthorizedException', 'This sign-in needs a second factor, which the hosted UI does not offer yet.');
  }
  return user;
}
