import type { App } from '../../app.ts';
import { CognitoError, notAuthorized } from '../../errors.ts';
import type { GetUserResponse } from '../../generated/cognito-idp.ts';
import { verifyAccessToken, verifyAccessTokenWithClient } from './access-tokens.ts';
import { toAttributeList } from '../users/attributes.ts';
import { getPool } from '../pools/user-pools.ts';
import { verifyPassword } from '../users/passwords.ts';
import { revokeAllForUser } from './revocation.ts';
import { readableAttributes } from './token-claims.ts';
import { setPassword } from '../users/user-passwords.ts';
import { requireUser } from '../users/users.ts';
import { mfaOptionsOf } from '../users/user-type.ts';
import { checkCompromisedPassword } from '../threat/sign-in.ts';
import { recordUserEvent } from '../threat/events.ts';
import type { RequestOrigin } from '../threat/origin.ts';

/** The operations a user calls with their access token: GetUser, ChangePassword, GlobalSignOut. */

/** GetUser: the user's attributes as the token's app client may read them, and MFA settings. */
export async function getUserByToken(app: App, accessToken: string): Promise<GetUserResponse> {
  const { user, client } = await verifyAccessTokenWithClient(app, accessToken);
  const attributes = readableAttributes(client, user.attributes);
  const mfa = user.data.mfa ?? {};
  const mfaOptions = mfaOptionsOf(user);
  const settings = mfa.UserMFASettingList as string[] | undefined;
  return {
    Username: user.username,
    UserAttributes: toAttributeList(attributes),
    ...(mfaOptions ? { MFAOptions: mfaOptions } : {}),
    ...(typeof mfa.PreferredMfaSetting === 'string' ? { PreferredMfaSetting: mfa.PreferredMfaSetting } : {}),
    ...(settings?.length ? { UserMFASettingList: settings } : {}),
  };
}

const HOUR = 60 * 60 * 1000;
/** Cognito's documented per-user ChangePassword allowance (cognito-quotas-and-errors.md section 4). */
export const CHANGE_PASSWORD_PER_HOUR = 5;

/**
 * ChangePassword: the previous password must match ("Incorrect username or password.", as a
 * wrong password at sign-in), the new one meet the policy and history; then it replaces the old.
 * Other sessions stay signed in, as in Cognito. Calls past 5 an hour get LimitExceededException.
 */
export async function changePassword(app: App, accessToken: string, previous: string | undefined, proposed: string, origin: RequestOrigin): Promise<void> {
  const { pool, user } = await verifyAccessToken(app, accessToken);
  const calls = await app.store.counters.hit(`ChangePassword:${pool.id}:${user.usernameKey}`, app.clock.now(), HOUR);
  if (calls > CHANGE_PASSWORD_PER_HOUR) {
    throw new CognitoError('LimitExceededException', 'Attempt limit exceeded, please try after some time.');
  }
  // A user without a password (passwordless sign-in) may set one without giving a previous one.
  if (user.passwordHash !== null && (previous === undefined || !(await verifyPassword(user.passwordHash, previous)))) {
    throw notAuthorized('Incorrect username or password.');
  }
  const compromised = await checkCompromisedPassword(app, pool, undefined, origin, proposed, 'PASSWORD_CHANGE');
  await setPassword(app, pool, user, proposed, { permanent: true });
  await recordUserEvent(app, pool, user, { type: 'PasswordChange', compromised, origin });
}

/** GlobalSignOut: every token of the caller's user is revoked, this access token included. */
export async function globalSignOut(app: App, accessToken: string): Promise<void> {
  const { pool, user } = await verifyAccessToken(app, accessToken);
  await revokeAllForUser(app.store, pool, user, app.clock.now());
}

/** AdminUserGlobalSignOut: the same for a user named by an administrator (username or alias). */
export async function adminUserGlobalSignOut(app: App, poolId: string, username: string): Promise<void> {
  const pool = await getPool(app.store, poolId);
  const user = await requireUser(app.store, pool, username);
  await revokeAllForUser(app.store, pool, user, app.clock.now());
}
