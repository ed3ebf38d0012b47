import type { App } from '../../app.ts';
import { CognitoError, notAuthorized } from '../../errors.ts';
import { preventUserExistenceErrors } from '../pools/app-clients.ts';
import type { AppClient, User } from '../types.ts';
import { incorrectCredentials } from './result.ts';

/**
 * Refuses users whose state bars signing in, before their password is looked at (Cognito answers
 * "User is not confirmed." even to a wrong password: amazon-cognito-identity-js#288).
 */
export function checkUserCanSignIn(client: AppClient, user: User, opts: { passwordless?: boolean } = {}): void {
  if (!user.enabled) throw notAuthorized('User is disabled.');
  switch (user.status) {
    case 'UNCONFIRMED':
      throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
    case 'RESET_REQUIRED':
      // With PreventUserExistenceErrors, Cognito documents the generic answer instead.
      if (preventUserExistenceErrors(client) === 'ENABLED') throw incorrectCredentials();
      throw new CognitoError('PasswordResetRequiredException', 'Password reset required for the user');
    case 'EXTERNAL_PROVIDER':
      throw incorrectCredentials();
    default:
  }
  // A passwordless first factor (a code or a passkey) needs no password (mfa/user-auth.ts).
  if (!user.passwordHash && !opts.passwordless) throw incorrectCredentials();
}

/** After a correct temporary password: it must not have outlived TemporaryPasswordValidityDays. */
export function checkTemporaryPassword(app: App, user: User): void {
  if (user.status === 'FORCE_CHANGE_PASSWORD' && user.tempPasswordExpiresAt !== null && user.tempPasswordExpiresAt <= app.clock.now()) {
    throw notAuthorized('Temporary password has expired and must be reset by an administrator.');
  }
}
