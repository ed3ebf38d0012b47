import { CognitoError } from '../errors.ts';
import type { UserPool } from './types.ts';

const SYMBOLS = new Set([...'^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+-']);

/**
 * Checks a password against the pool's policy, failing with Cognito's words:
 * "Password did not conform with password policy: Password not long enough" and so on.
 */
export function checkPasswordPolicy(pool: UserPool, password: string): void {
  const p = pool.config.Policies?.PasswordPolicy ?? {};
  const fail = (reason: string) =>
    new CognitoError('InvalidPasswordException', `Password did not conform with password policy: ${reason}`);
  if ([...password].length < (p.MinimumLength ?? 8)) throw fail('Password not long enough');
  if (p.RequireUppercase && !/[A-Z]/.test(password)) throw fail('Password must have uppercase characters');
  if (p.RequireLowercase && !/[a-z]/.test(password)) throw fail('Password must have lowercase characters');
  if (p.RequireNumbers && !/[0-9]/.test(password)) throw fail('Password must have numeric characters');
  if (p.RequireSymbols && ![...password].some((c) => SYMBOLS.has(c) || c === ' ')) {
    throw fail('Password must have symbol characters');
  }
}
