import type { App } from '../../app.ts';
import { notAuthorized } from '../../errors.ts';
import type { AttributeType } from '../../generated/cognito-idp.ts';
import type { Store } from '../../store/store.ts';
import { applyAttributeChanges, validateAttributeDeletion, validateAttributes } from './attributes.ts';
import type { User, UserPool } from '../types.ts';
import { getPool } from '../pools/user-pools.ts';
import { setPassword } from './user-passwords.ts';
import { requireUser, saveUser } from './users.ts';
import { revokeAllForUser } from '../tokens/revocation.ts';
import { PENDING, pendingOf, sendAttributeCode } from '../self-service/attribute-verification.ts';
import { postConfirmation } from '../triggers/post-confirmation.ts';
import type { VerifiableAttribute } from '../self-service/delivery.ts';

/**
 * The administrative user operations after creation (AdminCreateUser is in user-create.ts).
 * Each finds the user by username or alias (as Cognito's Admin* operations accept) and writes
 * in one transaction.
 */

/** Runs fn on the current user record inside one transaction, then saves it with its aliases. */
async function changeUser(
  app: App,
  poolId: string,
  username: string,
  fn: (user: User, pool: UserPool, s: Store) => void | Promise<void>,
  opts: { forceAlias?: boolean } = {},
) {
  return app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    const user = await requireUser(s, pool, username);
    await fn(user, pool, s);
    user.updatedAt = app.clock.now();
    await saveUser(s, pool, user, opts);
    return user;
  });
}

export async function adminDeleteUser(app: App, poolId: string, username: string): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    const user = await requireUser(s, pool, username);
    // Aliases, attribute index, group memberships and codes go with it (ON DELETE CASCADE).
    await s.users.delete(pool.id, user.usernameKey);
  });
}

/**
 * AdminUpdateUserAttributes. A changed email or phone number becomes unverified, unless the call
 * also sets its *_verified flag; when the pool auto-verifies it, a code goes out, and with
 * AttributesRequireVerificationBeforeUpdate a verified old value stays until the new one is
 * verified (as UpdateUserAttributes does; see self-service/profile.ts).
 */
export async function adminUpdateUserAttributes(
  app: App,
  poolId: string,
  username: string,
  attrs: AttributeType[],
  /** For CustomMessage_UpdateUserAttribute. */
  clientMetadata?: Record<string, string>,
): Promise<User> {
  const toVerify: VerifiableAttribute[] = [];
  const user = await changeUser(app, poolId, username, async (user, pool, s) => {
    const changes = validateAttributes(pool, attrs, { mode: 'admin', creating: false, existing: user.attributes });
    const auto = pool.config.AutoVerifiedAttributes ?? [];
    const waitFor = pool.config.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate ?? [];
    const pending = { ...pendingOf(user) };
    for (const attr of ['email', 'phone_number'] as const) {
      if (!(attr in changes)) continue;
      const value = changes[attr];
      const markedVerified = changes[`${attr}_verified`] === 'true';
      if (value === user.attributes[attr] || value === '' || markedVerified || !auto.includes(attr)) {
        delete pending[attr];
        continue;
      }
      toVerify.push(attr);
      if (waitFor.includes(attr) && user.attributes[`${attr}_verified`] === 'true') {
        pending[attr] = value;
        delete changes[attr];
      } else {
        delete pending[attr];
      }
      // A code sent for the old value must not verify the new one.
      await s.codes.delete(pool.id, user.usernameKey, `verify:${attr}`);
    }
    user.attributes = applyAttributeChanges(user.attributes, changes);
    user.data = { ...user.data, [PENDING]: pending };
    if (!Object.keys(pending).length) delete user.data[PENDING];
  });
  if (toVerify.length) {
    const pool = await getPool(app.store, poolId);
    for (const attr of toVerify) await sendAttributeCode(app, pool, user, attr, { event: 'UpdateUserAttribute', clientMetadata });
  }
  return user;
}

export function adminDeleteUserAttributes(app: App, poolId: string, username: string, names: string[]): Promise<User> {
  return changeUser(app, poolId, username, async (user, pool, s) => {
    validateAttributeDeletion(pool, names, 'admin');
    const next = { ...user.attributes };
    const pending = { ...pendingOf(user) };
    for (const name of names) {
      delete next[name];
      if (name === 'email' || name === 'phone_number') {
        // Without the address there is nothing verified, or waiting to be, any more.
        delete next[`${name}_verified`];
        delete pending[name];
        await s.codes.delete(pool.id, user.usernameKey, `verify:${name}`);
      }
    }
    user.attributes = next;
    user.data = { ...user.data, [PENDING]: pending };
    if (!Object.keys(pending).length) delete user.data[PENDING];
  });
}

/** AdminDisableUser also revokes the user's tokens and refresh tokens, as Cognito documents. */
export function adminSetUserEnabled(app: App, poolId: string, username: string, enabled: boolean): Promise<User> {
  return changeUser(app, poolId, username, async (user, pool, s) => {
    user.enabled = enabled;
    if (!enabled) await revokeAllForUser(s, pool, user, app.clock.now());
  });
}

/**
 * AdminConfirmSignUp. The user's verified email/phone aliases take effect now; AliasExistsException
 * is not among this operation's errors in Cognito's model, so an alias another user holds moves
 * to this one (as ConfirmSignUp with ForceAliasCreation).
 */
export async function adminConfirmSignUp(app: App, poolId: string, username: string, clientMetadata?: Record<string, string>): Promise<User> {
  const confirmed = await changeUser(
    app,
    poolId,
    username,
    (user) => {
      if (user.status !== 'UNCONFIRMED') {
        throw notAuthorized('User cannot confirm because user status is not UNCONFIRMED.');
      }
      user.status = 'CONFIRMED';
    },
    { forceAlias: true },
  );
  // After the commit: a failing PostConfirmation leaves the user confirmed (triggers/post-confirmation.ts).
  await postConfirmation(app, await getPool(app.store, poolId), { source: 'PostConfirmation_ConfirmSignUp', user: confirmed, clientMetadata });
  return confirmed;
}

/** AdminSetUserPassword: Permanent gives CONFIRMED, otherwise FORCE_CHANGE_PASSWORD with a new expiry. */
export async function adminSetUserPassword(app: App, poolId: string, username: string, password: string, permanent: boolean): Promise<User> {
  const pool = await getPool(app.store, poolId);
  const user = await requireUser(app.store, pool, username);
  return setPassword(app, pool, user, password, { permanent });
}
