import type { App, Random } from '../../app.ts';
import { CognitoError, userNotFound } from '../../errors.ts';
import { checkPasswordPolicy, type PasswordSetting } from '../pools/password-policy.ts';
import { passwordSecrets, verifyPassword, type PasswordSecrets } from './passwords.ts';
import type { User, UserPool } from '../types.ts';
import { randomString } from '../../util/ids.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Days a temporary password lives: the pool's TemporaryPasswordValidityDays, 0 or absent meaning 7. */
export function temporaryPasswordValidityMs(pool: UserPool): number {
  return (pool.config.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays || 7) * DAY_MS;
}

/** How many earlier passwords a user may not reuse (PasswordHistorySize; 0 or absent = off). */
const historySize = (pool: UserPool) => pool.config.Policies?.PasswordPolicy?.PasswordHistorySize ?? 0;

/**
 * A new password that has passed the pool's policy and history checks, hashed (argon2id) with
 * its SRP salt and verifier. Produced outside any transaction: hashing is slow.
 */
export interface PreparedPassword {
  secrets: PasswordSecrets;
}

/**
 * Step one of setting a password: checks the policy (InvalidPasswordException with Cognito's
 * text for `setting`), refuses any of the last PasswordHistorySize passwords
 * (PasswordHistoryPolicyViolationException), and hashes. Call it BEFORE opening a transaction.
 */
export async function preparePassword(
  app: App,
  pool: UserPool,
  user: Pick<User, 'username' | 'data'>,
  password: string,
  opts: { checkHistory?: boolean; setting?: PasswordSetting } = {},
): Promise<PreparedPassword> {
  checkPasswordPolicy(pool, password, opts.setting);
  const n = historySize(pool);
  if (n > 0 && opts.checkHistory !== false) {
    for (const old of (user.data.passwordHistory ?? []).slice(0, n)) {
      if (await verifyPassword(old, password)) {
        // The text is not documented; public error-mapping tables use this one.
        throw new CognitoError('PasswordHistoryPolicyViolationException', 'Password has previously been used');
      }
    }
  }
  return { secrets: await passwordSecrets(app, pool.id, user.username, password) };
}

/**
 * Step two, inside the caller's transaction: writes the prepared password onto the user record
 * (the caller saves it with store.users.update). `permanent` gives CONFIRMED and clears the
 * temporary-password expiry; otherwise FORCE_CHANGE_PASSWORD with a fresh expiry after
 * TemporaryPasswordValidityDays. Keeps the password history the pool asks for.
 */
export function applyPassword(app: App, pool: UserPool, user: User, prepared: PreparedPassword, opts: { permanent: boolean }): User {
  const now = app.clock.now();
  user.passwordHash = prepared.secrets.passwordHash;
  user.srpSalt = prepared.secrets.srpSalt;
  user.srpVerifier = prepared.secrets.srpVerifier;
  user.passwordChangedAt = now;
  if (opts.permanent) {
    user.status = 'CONFIRMED';
    user.tempPasswordExpiresAt = null;
  } else {
    user.status = 'FORCE_CHANGE_PASSWORD';
    user.tempPasswordExpiresAt = now + temporaryPasswordValidityMs(pool);
  }
  const n = historySize(pool);
  if (n > 0) user.data = { ...user.data, passwordHistory: [prepared.secrets.passwordHash, ...(user.data.passwordHistory ?? [])].slice(0, n) };
  else if (user.data.passwordHistory) {
    const { passwordHistory: _drop, ...rest } = user.data;
    user.data = rest;
  }
  user.failedAttempts = 0;
  user.lockedUntil = null;
  user.updatedAt = now;
  return user;
}

/**
 * Sets a user's password in one go: preparePassword, then one transaction that re-reads the
 * user, applies the password and saves it. For AdminSetUserPassword, ChangePassword, the
 * NEW_PASSWORD_REQUIRED challenge and ConfirmForgotPassword (those that must also consume a code
 * or session in the same transaction use preparePassword + applyPassword themselves).
 * Returns the saved user; UserNotFoundException if it vanished meanwhile.
 */
export async function setPassword(app: App, pool: UserPool, user: User, password: string, opts: { permanent: boolean }): Promise<User> {
  const prepared = await preparePassword(app, pool, user, password);
  return app.store.tx(async (s) => {
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (!fresh) throw userNotFound();
    applyPassword(app, pool, fresh, prepared, opts);
    await s.users.update(fresh);
    return fresh;
  });
}

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
const SYMBOLS = '^$*.[]{}()?!@#%&/,><:;|_~=+-';

/** A temporary password that satisfies the pool's policy: every class present, at least 12 long. */
export function generateTemporaryPassword(pool: UserPool, random: Random): string {
  const p = pool.config.Policies?.PasswordPolicy ?? {};
  const length = Math.max(p.MinimumLength ?? 8, 12);
  const chars = [
    randomString(random, 1, UPPER),
    randomString(random, 1, LOWER),
    randomString(random, 1, DIGITS),
    randomString(random, 1, SYMBOLS),
    ...randomString(random, length - 4, UPPER + LOWER + DIGITS),
  ];
  // Shuffle so the classes are not always in the same places.
  for (let i = chars.length - 1; i > 0; i--) {
    const j = random.bytes(1)[0] % (i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}
