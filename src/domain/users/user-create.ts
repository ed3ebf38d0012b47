import type { App } from '../../app.ts';
import { CognitoError, invalidParameter } from '../../errors.ts';
import type { AdminCreateUserRequest, DeliveryMediumType } from '../../generated/cognito-idp.ts';
import { uuid } from '../../util/ids.ts';
import { isEmail, isPhoneNumber, validateAttributes } from './attributes.ts';
import type { User, UserPool } from '../types.ts';
import { getPool } from '../pools/user-pools.ts';
import { applyPassword, generateTemporaryPassword, preparePassword } from './user-passwords.ts';
import { allowedFirstFactors } from '../mfa/webauthn-config.ts';
import { newUser, requireUser, saveUser } from './users.ts';
import { renderInvitation } from '../messages/templates.ts';
import { preSignUp, validationDataMap } from '../triggers/pre-sign-up.ts';
import { deliverMessage } from '../triggers/message-delivery.ts';

/**
 * The username a pool stores for a new user. With UsernameAttributes the name given must be an
 * email / phone number; it becomes that attribute and the stored username is the sub. With
 * AliasAttributes the username may not look like an alias (Cognito: "Username cannot be of email
 * format, since user pool is configured for email alias.").
 */
export function resolveNewUsername(pool: UserPool, given: string, attrs: Record<string, string>, sub: string): string {
  const ua = pool.config.UsernameAttributes ?? [];
  if (ua.length) {
    const asEmail = ua.includes('email') && isEmail(given);
    const asPhone = ua.includes('phone_number') && isPhoneNumber(given);
    if (!asEmail && !asPhone) {
      if (ua.length > 1) throw invalidParameter('Username should be either an email or a phone number.');
      throw invalidParameter(ua[0] === 'email' ? 'Username should be an email.' : 'Username should be a phone number.');
    }
    const attr = asEmail ? 'email' : 'phone_number';
    attrs[attr] ??= given;
    return sub;
  }
  for (const alias of pool.config.AliasAttributes ?? []) {
    if (alias === 'email' && isEmail(given)) {
      throw invalidParameter('Username cannot be of email format, since user pool is configured for email alias.');
    }
    if (alias === 'phone_number' && isPhoneNumber(given)) {
      throw invalidParameter('Username cannot be of phone number format, since user pool is configured for phone_number alias.');
    }
  }
  return given;
}

/**
 * Where the invitation goes. Explicit DesiredDeliveryMediums each need their attribute. Cognito's
 * documented default is SMS; Tobira falls back to EMAIL when the user has no phone number, and
 * to no message at all when the user has neither (seed 001 creates `user1` with no attributes
 * and no MessageAction, and Cognito answers normally).
 */
function deliveryMediums(input: AdminCreateUserRequest, attrs: Record<string, string>): DeliveryMediumType[] {
  if (input.MessageAction === 'SUPPRESS') return [];
  const wanted = input.DesiredDeliveryMediums;
  if (wanted?.length) {
    for (const m of wanted) {
      if ((m === 'EMAIL' && !attrs.email) || (m === 'SMS' && !attrs.phone_number)) {
        throw invalidParameter('User has no attribute matching desired delivery mediums');
      }
    }
    return [...new Set(wanted)];
  }
  if (attrs.phone_number) return ['SMS'];
  if (attrs.email) return ['EMAIL'];
  return [];
}

/**
 * Sends the invitation with the pool's InviteMessageTemplate or Cognito's default text. A
 * delivery target's refusal (CodeDeliveryFailureException) reaches the caller; the user stays
 * created, and MessageAction RESEND tries again.
 */
async function sendInvitation(
  app: App,
  pool: UserPool,
  user: User,
  displayName: string,
  password: string,
  mediums: DeliveryMediumType[],
  clientMetadata?: Record<string, string>,
) {
  // Every medium is tried, so an email refused by SMTP does not keep the SMS from going out;
  // the first refusal is reported afterwards.
  let refused: unknown;
  for (const channel of mediums) {
    const { subject, body } = renderInvitation(pool, { channel, username: displayName, tempPassword: password });
    // Through the message triggers: CustomMessage_AdminCreateUser, the custom senders.
    await deliverMessage(app, pool, {
      event: 'AdminCreateUser',
      user,
      displayName,
      clientMetadata,
      message: {
        poolId: pool.id,
        channel,
        destination: channel === 'EMAIL' ? user.attributes.email : user.attributes.phone_number,
        ...(subject !== undefined ? { subject } : {}),
        body,
        kind: 'invitation',
        username: user.username,
        code: password,
        codeIsPassword: true,
      },
    }).catch((err: unknown) => {
      refused ??= err;
    });
  }
  if (refused !== undefined) throw refused;
}

/**
 * AdminCreateUser: a new user in FORCE_CHANGE_PASSWORD with a temporary password (given and
 * checked against the policy, or generated to satisfy it) that expires after
 * TemporaryPasswordValidityDays; MessageAction RESEND re-invites an existing user instead.
 */
export async function adminCreateUser(app: App, input: AdminCreateUserRequest): Promise<User> {
  const pool = await getPool(app.store, input.UserPoolId);
  if (input.MessageAction === 'RESEND') return resendInvitation(app, pool, input);

  const attrs = validateAttributes(pool, input.UserAttributes, { mode: 'admin', creating: true });
  delete attrs.sub;
  // An attribute given without a value is no attribute.
  for (const [name, value] of Object.entries(attrs)) if (value === '') delete attrs[name];
  const sub = uuid(app.random);
  const username = resolveNewUsername(pool, input.Username, attrs, sub);
  const mediums = deliveryMediums(input, attrs);
  // PreSignUp_AdminCreateUser: a refusal leaves no user; the answer's flags are ignored, as
  // Cognito ignores them for administrators' users (cognito-protocols.md §7.2).
  await preSignUp(app, pool, {
    source: 'PreSignUp_AdminCreateUser',
    userName: username,
    userAttributes: { ...attrs },
    validationData: validationDataMap(input.ValidationData),
    clientMetadata: input.ClientMetadata,
  });
  const now = app.clock.now();
  // A passwordless user: no TemporaryPassword and no invitation, in a pool that signs in with
  // email or SMS codes, is CONFIRMED without a password (observed on Cognito, see
  // mfa/user-auth.ts; cognito-protocols.md §6.7's runbook).
  if (!input.TemporaryPassword && input.MessageAction === 'SUPPRESS' && allowedFirstFactors(pool).some((f) => f === 'EMAIL_OTP' || f === 'SMS_OTP')) {
    const user = newUser(pool, { username, sub, status: 'CONFIRMED', attributes: attrs, now });
    await app.store.tx((s) => saveUser(s, pool, user, { insert: { existsMessage: 'User account already exists' }, forceAlias: input.ForceAliasCreation === true }));
    return user;
  }
  const password = input.TemporaryPassword ?? generateTemporaryPassword(pool, app.random);
  const user = newUser(pool, { username, sub, status: 'FORCE_CHANGE_PASSWORD', attributes: attrs, now });
  const prepared = await preparePassword(app, pool, user, password, { checkHistory: false });
  applyPassword(app, pool, user, prepared, { permanent: false });
  user.updatedAt = now;
  await app.store.tx(async (s) => {
    await saveUser(s, pool, user, { insert: { existsMessage: 'User account already exists' }, forceAlias: input.ForceAliasCreation === true });
  });
  await sendInvitation(app, pool, user, input.Username, password, mediums, input.ClientMetadata);
  return user;
}

/** MessageAction RESEND: a new temporary password and expiry, and the invitation again. */
async function resendInvitation(app: App, pool: UserPool, input: AdminCreateUserRequest): Promise<User> {
  const resendable = (u: User) => {
    if (u.status !== 'FORCE_CHANGE_PASSWORD') {
      throw new CognitoError('UnsupportedUserStateException', `Resend not possible. ${u.username} status is not FORCE_CHANGE_PASSWORD.`);
    }
    return u;
  };
  // Checked before hashing (to fail fast) and again in the transaction (the state may have moved).
  const existing = resendable(await requireUser(app.store, pool, input.Username));
  const mediums = deliveryMediums(input, existing.attributes);
  const password = input.TemporaryPassword ?? generateTemporaryPassword(pool, app.random);
  const prepared = await preparePassword(app, pool, existing, password, { checkHistory: false });
  const user = await app.store.tx(async (s) => {
    const fresh = resendable(await requireUser(s, pool, input.Username));
    applyPassword(app, pool, fresh, prepared, { permanent: false });
    await s.users.update(fresh);
    return fresh;
  });
  await sendInvitation(app, pool, user, input.Username, password, mediums, input.ClientMetadata);
  return user;
}
