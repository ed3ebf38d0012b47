import type { App } from '../../app.ts';
import { userNotFound } from '../../errors.ts';
import type { AttributeType, CodeDeliveryDetailsType } from '../../generated/cognito-idp.ts';
import { applyAttributeChanges, validateAttributeDeletion, validateAttributes } from '../users/attributes.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { saveUser } from '../users/users.ts';
import { PENDING, pendingOf, sendAttributeCode } from './attribute-verification.ts';
import { attributeNames, checkWritable } from './client.ts';
import type { VerifiableAttribute } from './delivery.ts';

/**
 * The signed-in user's own attributes: UpdateUserAttributes, DeleteUserAttributes, DeleteUser.
 *
 * A changed email or phone number the pool auto-verifies gets a verification code. By default
 * the new value replaces the old one at once, unverified; with
 * UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate the old value stays (and
 * stays verified, still a sign-in alias) until the new one is verified with VerifyUserAttribute.
 */
export async function updateUserAttributes(
  app: App,
  pool: UserPool,
  client: AppClient,
  user: User,
  attributes: AttributeType[],
  /** For CustomMessage_UpdateUserAttribute. */
  clientMetadata?: Record<string, string>,
): Promise<CodeDeliveryDetailsType[]> {
  checkWritable(client, attributeNames(attributes));
  const auto = pool.config.AutoVerifiedAttributes ?? [];
  const waitFor = pool.config.UserAttributeUpdateSettings?.AttributesRequireVerificationBeforeUpdate ?? [];

  const saved = await app.store.tx(async (s) => {
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (!fresh) throw userNotFound();
    const changes = validateAttributes(pool, attributes, { mode: 'user', creating: false, existing: fresh.attributes });
    const pending = { ...pendingOf(fresh) };
    const toVerify: VerifiableAttribute[] = [];
    for (const attr of ['email', 'phone_number'] as const) {
      if (!(attr in changes)) continue;
      const value = changes[attr];
      if (value === fresh.attributes[attr] || value === '') {
        delete pending[attr];
        continue;
      }
      if (!auto.includes(attr)) continue;
      toVerify.push(attr);
      // Only a value that was verified is worth keeping until the new one is.
      if (waitFor.includes(attr) && fresh.attributes[`${attr}_verified`] === 'true') {
        pending[attr] = value;
        delete changes[attr];
      } else {
        delete pending[attr];
      }
    }
    fresh.attributes = applyAttributeChanges(fresh.attributes, changes);
    fresh.data = { ...fresh.data, [PENDING]: pending };
    if (!Object.keys(pending).length) delete fresh.data[PENDING];
    fresh.updatedAt = app.clock.now();
    await saveUser(s, pool, fresh);
    // A code for the old value must not verify the new one.
    for (const attr of toVerify) await s.codes.delete(pool.id, fresh.usernameKey, `verify:${attr}`);
    return { user: fresh, toVerify };
  });

  // The change is committed; a failed delivery is reported and GetUserAttributeVerificationCode retries.
  const details: CodeDeliveryDetailsType[] = [];
  for (const attr of saved.toVerify) {
    details.push(await sendAttributeCode(app, pool, saved.user, attr, { event: 'UpdateUserAttribute', clientId: client.clientId, clientMetadata }));
  }
  return details;
}

export async function deleteUserAttributes(app: App, pool: UserPool, client: AppClient, user: User, names: string[]): Promise<void> {
  validateAttributeDeletion(pool, names, 'user');
  checkWritable(client, names);
  await app.store.tx(async (s) => {
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (!fresh) throw userNotFound();
    const next = { ...fresh.attributes };
    const pending = { ...pendingOf(fresh) };
    for (const name of names) {
      delete next[name];
      if (name === 'email' || name === 'phone_number') {
        delete next[`${name}_verified`];
        delete pending[name];
        await s.codes.delete(pool.id, fresh.usernameKey, `verify:${name}`);
      }
    }
    fresh.attributes = next;
    fresh.data = { ...fresh.data, [PENDING]: pending };
    if (!Object.keys(pending).length) delete fresh.data[PENDING];
    fresh.updatedAt = app.clock.now();
    await saveUser(s, pool, fresh);
  });
}

/** DeleteUser: the user removes themself; aliases, groups and codes go with them (cascade). */
export async function deleteUser(app: App, pool: UserPool, user: User): Promise<void> {
  await app.store.tx(async (s) => {
    if (!(await s.users.get(pool.id, user.usernameKey))) throw userNotFound();
    await s.users.delete(pool.id, user.usernameKey);
  });
}
