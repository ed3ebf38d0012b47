import { CognitoError } from '../../errors.ts';
import type { UserPool } from '../types.ts';

const SYMBOLS = new Set([...'^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+-']);

/**
 * Where a password is being set. Cognito words a policy failure differently by operation:
 * AdminCreateUser "Password did not conform with password policy: <reason>"
 * (data-dot-all/dataall#690), SignUp "Password did not conform with policy: <reason>"
 * (aws-amplify/amplify-js#2416), ConfirmForgotPassword and the NEW_PASSWORD_REQUIRED answer
 * "Password does not conform to policy: <reason>" (public test suites and handlers matching
 * those responses). ChangePassword and AdminSetUserPassword have no text in our sources and
 * keep the AdminCreateUser one.
 */
export type PasswordSetting = 'admin' | 'SignUp' | 'ConfirmForgotPassword' | 'NEW_PASSWORD_REQUIRED';

const PREFIX: Record<PasswordSetting, string> = {
  admin: 'Password did not conform with password policy',
  SignUp: 'Password did not conform with policy',
  ConfirmForgotPassword: 'Password does not conform to policy',
  NEW_PASSWORD_REQUIRED: 'Password does not conform to policy',
};

/**
 * Checks a password against the pool's policy, failing with InvalidPasswordException in
 * Cognito's words for `setting`, e.g. "Password did not conform with password policy: Password
 * not long enough".
 */
export function checkPasswordPolicy(pool: UserPool, password: string, setting: PasswordSetting = 'admin'): void {
  const p = pool.config.Policies?.PasswordPolicy ?? {};
  const fail = (reason: string) => new CognitoError('InvalidPasswordException', `${PREFIX[setting]}: ${reason}`);
  if ([...password].length < (p.MinimumLength ?? 8)) throw fail('Password not long enough');
  if (p.RequireUppercase && !/[A-Z]/.test(password)) throw fail('Password must have uppercase characters');
  if (p.RequireLowercase && !/[a-z]/.test(password)) throw fail('Password must have lowercase characters');
  if (p.RequireNumbers && !/[0-9]/.test(password)) throw fail('Password must have numeric characters');
  if (p.RequireSymbols && ![...password].some((c) => SYMBOLS.has(c) || c === ' ')) {
    throw fail('Password must have symbol characters');
  }
}
