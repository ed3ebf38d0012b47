import type { App } from '../../app.ts';
import { invalidParameter, userNotFound } from '../../errors.ts';
import type { CodeDeliveryDetailsType } from '../../generated/cognito-idp.ts';
import { codeExpired, issueCode, redeemCode } from './codes.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { saveUser } from '../users/users.ts';
import { sendCode, type VerifiableAttribute } from './delivery.ts';
import { countAttempt } from './limits.ts';

/**
 * Verifying an email or phone number a signed-in user has: GetUserAttributeVerificationCode
 * sends a 24-hour code, VerifyUserAttribute redeems it. With UserAttributeUpdateSettings a new
 * value waits in user.data.pendingAttributes until verified, and the code goes to it.
 */

export const PENDING = 'pendingAttributes';

export const pendingOf = (user: User): Partial<Record<VerifiableAttribute, string>> =>
  (user.data[PENDING] as Partial<Record<VerifiableAttribute, string>> | undefined) ?? {};

function verifiable(name: string): VerifiableAttribute {
  if (name === 'email' || name === 'phone_number') return name;
  // Cognito's words for GetUserAttributeVerificationCode (aws-amplify/amplify-js#3652).
  throw invalidParameter('Invalid attribute name. Only phone_number and email can be verified.');
}

/** The value a verification concerns: the pending new value if any, else the current one. */
function valueToVerify(user: User, attr: VerifiableAttribute): string {
  const value = pendingOf(user)[attr] ?? user.attributes[attr];
  if (!value) {
    throw invalidParameter(`User does not have the ${attr} attribute`);
  }
  return value;
}

/** Issues and sends a verification code for one attribute (also used by UpdateUserAttributes). */
export async function sendAttributeCode(
  app: App,
  pool: UserPool,
  user: User,
  attr: VerifiableAttribute,
  /** CustomMessage_UpdateUserAttribute after an update; VerifyUserAttribute when asked for. */
  trigger: { event: 'UpdateUserAttribute' | 'VerifyUserAttribute'; clientId?: string; clientMetadata?: Record<string, string> } = { event: 'VerifyUserAttribute' },
): Promise<CodeDeliveryDetailsType> {
  const value = valueToVerify(user, attr);
  const code = await issueCode(app, app.store, {
    poolId: pool.id,
    usernameKey: user.usernameKey,
    purpose: `verify:${attr}`,
    data: { value },
  });
  return sendCode(app, pool, { user, attr, destination: value, code, kind: 'verify-attribute', trigger });
}

export async function getUserAttributeVerificationCode(
  app: App,
  pool: UserPool,
  client: AppClient,
  user: User,
  attributeName: string,
  /** For CustomMessage_VerifyUserAttribute. */
  clientMetadata?: Record<string, string>,
): Promise<CodeDeliveryDetailsType> {
  const attr = verifiable(attributeName);
  valueToVerify(user, attr);
  await countAttempt(app, app.store, 'GetUserAttributeVerificationCode', pool.id, user.usernameKey);
  return sendAttributeCode(app, pool, user, attr, { event: 'VerifyUserAttribute', clientId: client.clientId, clientMetadata });
}

/**
 * VerifyUserAttribute: the code must be the latest one sent for that attribute, and the value
 * it was sent to must still be the one to verify (a code for an address since replaced fails).
 */
export async function verifyUserAttribute(app: App, pool: UserPool, user: User, attributeName: string, code: string): Promise<void> {
  const attr = verifiable(attributeName);
  await countAttempt(app, app.store, 'VerifyUserAttribute', pool.id, user.usernameKey);
  const failure = await app.store.tx(async (s) => {
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (!fresh) throw userNotFound();
    const check = await redeemCode(app, s, pool.id, fresh.usernameKey, `verify:${attr}`, code);
    if (!check.ok) return check.error;
    const pending = { ...pendingOf(fresh) };
    const value = check.stored.data.value as string | undefined;
    if (pending[attr] !== undefined && pending[attr] === value) {
      fresh.attributes = { ...fresh.attributes, [attr]: value };
      delete pending[attr];
      fresh.data = { ...fresh.data, [PENDING]: pending };
      if (!Object.keys(pending).length) delete fresh.data[PENDING];
    } else if (fresh.attributes[attr] !== value) {
      // The code went to an address the user has since changed.
      return codeExpired();
    }
    fresh.attributes = { ...fresh.attributes, [`${attr}_verified`]: 'true' };
    fresh.updatedAt = app.clock.now();
    // Verifying makes an alias attribute a sign-in name; it must be free (AliasExistsException).
    await saveUser(s, pool, fresh);
    return null;
  });
  if (failure) throw failure;
}
