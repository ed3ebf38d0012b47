import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized, resourceNotFound, userNotFound } from '../../errors.ts';
import type { CodeDeliveryDetailsType, ConfirmForgotPasswordRequest, ForgotPasswordRequest } from '../../generated/cognito-idp.ts';
import { checkCode, codeMismatch, countWrongEntry, issueCode, redeemCode } from './codes.ts';
import type { User, UserPool } from '../types.ts';
import { getPool } from '../pools/user-pools.ts';
import { applyPassword, preparePassword } from '../users/user-passwords.ts';
import { findUser, requireUser } from '../users/users.ts';
import { migrateUser } from '../triggers/user-migration.ts';
import { clientCall } from './client.ts';
import { isVerified, sendCode, simulatedDetails, type VerifiableAttribute } from './delivery.ts';
import { countAttempt } from './limits.ts';
import { postConfirmation } from '../triggers/post-confirmation.ts';
import { checkCompromisedPassword } from '../threat/sign-in.ts';
import { recordUserEvent } from '../threat/events.ts';
import type { RequestOrigin } from '../threat/origin.ts';

/**
 * Account recovery: ForgotPassword / ConfirmForgotPassword for users, AdminResetUserPassword for
 * operators, delivering the reset code as the pool's AccountRecoverySetting says.
 */

const noRecoveryChannel = () =>
  invalidParameter('Cannot reset password for the user as there is no registered/verified email or phone_number');
// Observed for ForgotPassword on a FORCE_CHANGE_PASSWORD user (aws-solutions/distributed-load-testing-on-aws#1).
const cannotResetNow = () => notAuthorized('User password cannot be reset in the current state.');

/**
 * Where a reset code goes: the first mechanism of AccountRecoverySetting (by Priority) whose
 * attribute the user has verified. Without a setting, Cognito's legacy order: a verified phone
 * number, else a verified email. `admin_only` gives null: users cannot recover by themselves.
 */
export function recoveryAttribute(pool: UserPool, user: User, opts: { admin?: boolean } = {}): VerifiableAttribute | null | 'admin_only' {
  const mechanisms = [...(pool.config.AccountRecoverySetting?.RecoveryMechanisms ?? [])].sort((a, b) => a.Priority - b.Priority);
  const legacy: VerifiableAttribute[] = ['phone_number', 'email'];
  if (mechanisms.some((m) => m.Name === 'admin_only')) {
    // An administrator's reset still needs somewhere to send the code.
    if (!opts.admin) return 'admin_only';
    return legacy.find((a) => isVerified(user, a) && user.attributes[a]) ?? null;
  }
  const order: VerifiableAttribute[] = mechanisms.length
    ? mechanisms.map((m) => (m.Name === 'verified_email' ? 'email' : 'phone_number'))
    : legacy;
  return order.find((a) => isVerified(user, a) && user.attributes[a]) ?? null;
}

/**
 * ForgotPassword: a one-hour reset code to the recovery channel; the password stays usable. An
 * unknown user may be brought in first by the pool's UserMigration trigger
 * (UserMigration_ForgotPassword, triggers/user-migration.ts); it needs a verified email or phone.
 */
export async function forgotPassword(app: App, input: ForgotPasswordRequest, origin: RequestOrigin | undefined): Promise<CodeDeliveryDetailsType> {
  const call = await clientCall(app.store, input.ClientId, input.Username, input.SecretHash);
  const { pool } = call;
  const user =
    (await findUser(app.store, pool, input.Username)) ??
    (await migrateUser(app, pool, {
      source: 'UserMigration_ForgotPassword',
      userName: input.Username,
      clientId: input.ClientId,
      clientMetadata: input.ClientMetadata,
    }));
  if (!user) {
    if (call.hideUnknownUsers) return simulatedDetails(pool, input.Username);
    throw userNotFound();
  }
  // Observed (aws-amplify/aws-sdk-ios#384): a disabled user is answered as if unknown to the client.
  if (!user.enabled) throw resourceNotFound('Username/client id combination not found.');
  if (user.status === 'FORCE_CHANGE_PASSWORD') throw cannotResetNow();
  const attr = recoveryAttribute(pool, user);
  if (attr === 'admin_only') throw cannotResetNow();
  if (!attr) throw noRecoveryChannel();
  await countAttempt(app, app.store, 'ForgotPassword', pool.id, user.usernameKey);
  const code = await issueCode(app, app.store, { poolId: pool.id, usernameKey: user.usernameKey, purpose: 'forgot-password', data: { attribute: attr } });
  await recordUserEvent(app, pool, user, { type: 'ForgotPassword', client: call.client, origin });
  return sendCode(app, pool, {
    user,
    attr,
    destination: user.attributes[attr],
    code,
    kind: 'forgot-password',
    trigger: { clientId: call.client.clientId, clientMetadata: input.ClientMetadata },
  });
}

/**
 * ConfirmForgotPassword: the code is checked before the (slow) hashing of the new password, then
 * redeemed in the transaction that sets it, so a code sets at most one password.
 */
export async function confirmForgotPassword(app: App, input: ConfirmForgotPasswordRequest, origin: RequestOrigin | undefined): Promise<void> {
  const call = await clientCall(app.store, input.ClientId, input.Username, input.SecretHash);
  const { pool } = call;
  const found = await findUser(app.store, pool, input.Username);
  if (!found) {
    if (call.hideUnknownUsers) throw codeMismatch();
    throw userNotFound();
  }
  await countAttempt(app, app.store, 'ConfirmForgotPassword', pool.id, found.usernameKey);
  const first = await checkCode(app, app.store, pool.id, found.usernameKey, 'forgot-password', input.ConfirmationCode);
  if (!first.ok) throw await countWrongEntry(app.store, pool.id, found.usernameKey, 'forgot-password', first.error);
  const compromised = await checkCompromisedPassword(app, pool, call.client, origin, input.Password, 'PASSWORD_CHANGE');
  const prepared = await preparePassword(app, pool, found, input.Password, { setting: 'ConfirmForgotPassword' });
  let reset: User | undefined;
  const failure = await app.store.tx(async (s) => {
    const user = await s.users.get(pool.id, found.usernameKey);
    if (!user) throw userNotFound();
    const check = await redeemCode(app, s, pool.id, user.usernameKey, 'forgot-password', input.ConfirmationCode);
    if (!check.ok) return check.error;
    if (user.status === 'UNCONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
    applyPassword(app, pool, user, prepared, { permanent: true });
    await s.users.update(user);
    reset = user;
    return null;
  });
  if (failure) throw failure;
  await recordUserEvent(app, pool, reset!, { type: 'PasswordChange', client: call.client, compromised, origin });
  // After the commit: a failing PostConfirmation leaves the new password set (triggers/post-confirmation.ts).
  await postConfirmation(app, pool, {
    source: 'PostConfirmation_ConfirmForgotPassword',
    user: reset!,
    clientId: call.client.clientId,
    clientMetadata: input.ClientMetadata,
  });
}

/**
 * AdminResetUserPassword: the user must reset (RESET_REQUIRED: sign-in answers
 * PasswordResetRequiredException) with a code sent to the verified phone number or email.
 */
export async function adminResetUserPassword(app: App, poolId: string, username: string, clientMetadata?: Record<string, string>): Promise<void> {
  const pool = await getPool(app.store, poolId);
  const found = await requireUser(app.store, pool, username);
  // Observed with this text, without a period (amazon-archives/amazon-cognito-identity-js#373).
  if (!found.enabled) throw notAuthorized('User is disabled');
  const attr = recoveryAttribute(pool, found, { admin: true });
  if (attr === 'admin_only' || !attr) throw noRecoveryChannel();
  const { user, code } = await app.store.tx(async (s) => {
    const user = await s.users.get(pool.id, found.usernameKey);
    if (!user) throw userNotFound();
    user.status = 'RESET_REQUIRED';
    user.updatedAt = app.clock.now();
    await s.users.update(user);
    const code = await issueCode(app, s, { poolId: pool.id, usernameKey: user.usernameKey, purpose: 'forgot-password', data: { attribute: attr } });
    return { user, code };
  });
  await sendCode(app, pool, { user, attr, destination: user.attributes[attr], code, kind: 'forgot-password', trigger: { clientMetadata } });
}
