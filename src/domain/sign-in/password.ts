import type { App } from '../../app.ts';
import { userNotFound } from '../../errors.ts';
import { preventUserExistenceErrors } from '../pools/app-clients.ts';
import { dummyPasswordHash, verifyPassword } from '../users/passwords.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { findUser } from '../users/users.ts';
import { migrateUser } from '../triggers/user-migration.ts';
import { attemptSucceeded, beginAttempt } from './lockout.ts';
import { type AuthOutcome, incorrectCredentials, requireParam } from './result.ts';
import { checkSecretHash } from './secret-hash.ts';
import { finishSignIn } from './sign-in.ts';
import { checkTemporaryPassword, checkUserCanSignIn } from './user-state.ts';
import { checkCompromisedSignIn, notePasswordStep } from '../threat/sign-in.ts';

/**
 * USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and ADMIN_NO_SRP_AUTH: USERNAME (username or
 * sign-in alias) and PASSWORD, checked against the argon2id hash. An unknown user is
 * UserNotFoundException, or, when the client hides user existence, the wrong-password answer
 * after hashing against a dummy hash so that both take alike time. A pool with a UserMigration
 * trigger first asks it for the unknown user (triggers/user-migration.ts), with the password given
 * and the call's ClientMetadata as validationData.
 */
export async function passwordSignIn(
  app: App,
  pool: UserPool,
  client: AppClient,
  params: Record<string, string>,
  clientMetadata?: Record<string, string>,
): Promise<AuthOutcome> {
  const username = requireParam(params, 'USERNAME');
  const password = requireParam(params, 'PASSWORD');
  checkSecretHash(client, [username], params.SECRET_HASH);
  const user = await checkPasswordFactor(app, pool, client, username, password, clientMetadata);
  return finishSignIn(app, pool, client, user, { deviceKey: params.DEVICE_KEY || undefined, firstFactor: 'PASSWORD' });
}

/**
 * The password as a first factor, shared by the API's password flows and the hosted UI's /login:
 * the user (or one UserMigration brings in), the states that bar signing in, lockout counted
 * before the hash is checked, and the temporary password's age. Returns the user it proved.
 */
export async function checkPasswordFactor(
  app: App,
  pool: UserPool,
  client: AppClient,
  username: string,
  password: string,
  validationData?: Record<string, string>,
): Promise<User> {
  const user =
    (await findUser(app.store, pool, username)) ??
    (await migrateUser(app, pool, { source: 'UserMigration_Authentication', userName: username, clientId: client.clientId, password, validationData }));
  if (!user) {
    if (preventUserExistenceErrors(client) !== 'ENABLED') throw userNotFound();
    await verifyPassword(await dummyPasswordHash(), password);
    throw incorrectCredentials();
  }
  checkUserCanSignIn(client, user);
  notePasswordStep(user);
  await beginAttempt(app, app.store, user);
  if (!(await verifyPassword(user.passwordHash, password))) throw incorrectCredentials();
  await attemptSucceeded(app.store, user);
  await checkCompromisedSignIn(app, pool, user, password);
  checkTemporaryPassword(app, user);
  return user;
}
