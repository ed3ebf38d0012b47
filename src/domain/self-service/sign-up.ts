import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized, userNotFound } from '../../errors.ts';
import type {
  CodeDeliveryDetailsType,
  ConfirmSignUpRequest,
  ResendConfirmationCodeRequest,
  SignUpRequest,
  SignUpResponse,
} from '../../generated/cognito-idp.ts';
import { uuid } from '../../util/ids.ts';
import { validateAttributes } from '../users/attributes.ts';
import { codeMismatch, issueCode, redeemCode } from './codes.ts';
import { getClientAndPool } from '../pools/app-clients.ts';
import type { User, UserPool } from '../types.ts';
import { resolveNewUsername } from '../users/user-create.ts';
import { applyPassword, preparePassword } from '../users/user-passwords.ts';
import { findUser, newUser, saveUser } from '../users/users.ts';
import { attributeNames, checkWritable, clientCall, type ClientCall } from './client.ts';
import { sendCode, signUpDeliveryAttribute, simulatedDetails, type VerifiableAttribute } from './delivery.ts';
import { countAttempt } from './limits.ts';
import { allowedFirstFactors } from '../mfa/webauthn-config.ts';
import { signUpSession } from '../mfa/user-auth.ts';
import { postConfirmation } from '../triggers/post-confirmation.ts';
import { preSignUp, validationDataMap } from '../triggers/pre-sign-up.ts';
import { checkCompromisedPassword } from '../threat/sign-in.ts';
import { recordUserEvent } from '../threat/events.ts';
import type { RequestOrigin } from '../threat/origin.ts';

/**
 * SignUp: a new UNCONFIRMED user with a password, its attributes checked against the schema and
 * the client's WriteAttributes, and a confirmation code sent to the attribute the pool
 * auto-verifies (none: the user waits for AdminConfirmSignUp, and no code is sent).
 */
export async function signUp(app: App, input: SignUpRequest, origin: RequestOrigin | undefined): Promise<SignUpResponse> {
  const call = await clientCall(app.store, input.ClientId, input.Username, input.SecretHash);
  const { pool, client } = call;
  if (pool.config.AdminCreateUserConfig?.AllowAdminCreateUserOnly) {
    throw notAuthorized('SignUp is not permitted for this user pool');
  }
  checkWritable(client, attributeNames(input.UserAttributes));

  const given: Record<string, string> = {};
  for (const a of input.UserAttributes ?? []) given[a.Name] = a.Value ?? '';
  const sub = uuid(app.random);
  // With UsernameAttributes the username is the email / phone number and the sub is stored.
  const username = resolveNewUsername(pool, input.Username, given, sub);
  const attrs = validateAttributes(
    pool,
    Object.entries(given).map(([Name, Value]) => ({ Name, Value })),
    { mode: 'user', creating: true, requireRequired: true },
  );
  // Without a password only where passwordless codes can sign the user in (the API reference of
  // SignUp's Password: "omit this parameter or submit a blank value"; mfa/user-auth.ts).
  const passwordless = !input.Password && allowedFirstFactors(pool).some((f) => f === 'EMAIL_OTP' || f === 'SMS_OTP');
  if (input.Password === undefined && !passwordless) throw invalidParameter('Password is required.');
  const compromised = input.Password ? await checkCompromisedPassword(app, pool, client, origin, input.Password, 'SIGN_UP') : false;

  const now = app.clock.now();
  const user = newUser(pool, { username, sub, status: 'UNCONFIRMED', attributes: attrs, now });
  // Hashing is slow: before the transaction.
  if (!passwordless) {
    const prepared = await preparePassword(app, pool, user, input.Password ?? '', { checkHistory: false, setting: 'SignUp' });
    applyPassword(app, pool, user, prepared, { permanent: true });
  }
  user.status = 'UNCONFIRMED';

  // PreSignUp (triggers/pre-sign-up.ts): a refusal leaves nothing saved; its answer may confirm
  // the user and verify the email / phone number, in which case no code is sent.
  const decision = await preSignUp(app, pool, {
    source: 'PreSignUp_SignUp',
    userName: username,
    clientId: client.clientId,
    userAttributes: { ...attrs },
    validationData: validationDataMap(input.ValidationData),
    clientMetadata: input.ClientMetadata,
  });
  if (decision?.autoConfirmUser) user.status = 'CONFIRMED';
  if (decision?.autoVerifyEmail) user.attributes.email_verified = 'true';
  if (decision?.autoVerifyPhone) user.attributes.phone_number_verified = 'true';
  const autoVerified = decision !== undefined && (decision.autoVerifyEmail || decision.autoVerifyPhone);

  const deliverTo = user.status === 'CONFIRMED' ? null : signUpDeliveryAttribute(pool, user.attributes);
  const code = await app.store.tx(async (s) => {
    // An auto-verified alias moves from a user who had it (the developer guide on autoVerifyEmail).
    await saveUser(s, pool, user, { insert: { existsMessage: 'User already exists' }, forceAlias: autoVerified });
    if (!deliverTo) return null;
    return issueCode(app, s, { poolId: pool.id, usernameKey: user.usernameKey, purpose: 'sign-up', data: { attribute: deliverTo } });
  });

  await recordUserEvent(app, pool, user, { type: 'SignUp', client, compromised, origin });
  const out: SignUpResponse = { UserConfirmed: user.status === 'CONFIRMED', UserSub: sub };
  if (user.status === 'CONFIRMED') {
    // An auto-confirmed user is confirmed at sign-up, and PostConfirmation runs then.
    await postConfirmation(app, pool, { source: 'PostConfirmation_ConfirmSignUp', user, clientId: client.clientId, clientMetadata: input.ClientMetadata });
  }
  if (deliverTo && code) {
    // The user is committed: a failed delivery is reported, and ResendConfirmationCode can retry.
    out.CodeDeliveryDetails = await sendSignUpCode(app, call, user, deliverTo, code, { event: 'SignUp', clientMetadata: input.ClientMetadata });
  }
  return out;
}

function sendSignUpCode(
  app: App,
  call: ClientCall,
  user: User,
  attr: VerifiableAttribute,
  code: string,
  trigger: { event: 'SignUp' | 'ResendCode'; clientMetadata?: Record<string, string> },
): Promise<CodeDeliveryDetailsType> {
  const link = new URL('/confirmUser', app.publicUrl());
  link.searchParams.set('client_id', call.client.clientId);
  link.searchParams.set('user_name', user.username);
  link.searchParams.set('confirmation_code', code);
  return sendCode(app, call.pool, {
    user,
    attr,
    destination: user.attributes[attr],
    code,
    kind: 'sign-up',
    link: attr === 'email' ? link.toString() : undefined,
    trigger: { ...trigger, clientId: call.client.clientId },
  });
}

/**
 * ConfirmSignUp: redeems the sign-up code in one transaction with the status change, marks the
 * attribute the code went to as verified (with AliasAttributes that makes it a sign-in alias;
 * ForceAliasCreation moves it from another user instead of failing with AliasExistsException).
 */
export async function confirmSignUp(app: App, input: ConfirmSignUpRequest): Promise<string | undefined> {
  const call = await clientCall(app.store, input.ClientId, input.Username, input.SecretHash);
  const confirmed = await confirmFound(app, call, input.Username, input.ConfirmationCode, input.ForceAliasCreation === true);
  // Committed first: a PostConfirmation that fails leaves the user confirmed (triggers/post-confirmation.ts).
  await postConfirmation(app, call.pool, {
    source: 'PostConfirmation_ConfirmSignUp',
    user: confirmed.user,
    clientId: call.client.clientId,
    clientMetadata: input.ClientMetadata,
  });
  // The Session that signs the new user in with USER_AUTH (mfa/user-auth.ts).
  return signUpSession(app, call.pool, call.client, confirmed.usernameKey, confirmed.attribute);
}

async function confirmFound(
  app: App,
  call: ClientCall,
  username: string,
  code: string,
  forceAlias: boolean,
): Promise<{ usernameKey: string; attribute?: VerifiableAttribute; user: User }> {
  const { pool } = call;
  const found = await findUser(app.store, pool, username);
  if (!found) {
    if (call.hideUnknownUsers) throw codeMismatch();
    throw userNotFound();
  }
  await countAttempt(app, app.store, 'ConfirmSignUp', pool.id, found.usernameKey);
  let attribute: VerifiableAttribute | undefined;
  let confirmed: User | undefined;
  const failure = await app.store.tx(async (s) => {
    const user = await s.users.get(pool.id, found.usernameKey);
    if (!user) throw userNotFound();
    if (user.status !== 'UNCONFIRMED') throw notAuthorized('User cannot confirm because user status is not UNCONFIRMED.');
    const check = await redeemCode(app, s, pool.id, user.usernameKey, 'sign-up', code);
    // A wrong code commits its failure count; the error is thrown after the commit.
    if (!check.ok) return check.error;
    user.status = 'CONFIRMED';
    const attr = check.stored.data.attribute as VerifiableAttribute | undefined;
    if (attr && user.attributes[attr] !== undefined) user.attributes[`${attr}_verified`] = 'true';
    attribute = attr;
    user.updatedAt = app.clock.now();
    await saveUser(s, pool, user, { forceAlias });
    confirmed = user;
    return null;
  });
  if (failure) throw failure;
  return { usernameKey: found.usernameKey, attribute, user: confirmed! };
}

/**
 * The confirmation link of LINK-style emails. The link carries no SECRET_HASH (Cognito's does
 * not either): the code itself is the proof, so the client's secret is not asked for.
 */
export async function confirmSignUpFromLink(app: App, clientId: string, username: string, code: string): Promise<void> {
  const { client, pool } = await getClientAndPool(app.store, clientId);
  const confirmed = await confirmFound(app, { client, pool, hideUnknownUsers: true }, username, code, false);
  await postConfirmation(app, pool, { source: 'PostConfirmation_ConfirmSignUp', user: confirmed.user, clientId });
}

/** ResendConfirmationCode: a new sign-up code (the old one stops working) for an UNCONFIRMED user. */
export async function resendConfirmationCode(app: App, input: ResendConfirmationCodeRequest, origin: RequestOrigin): Promise<CodeDeliveryDetailsType> {
  const call = await clientCall(app.store, input.ClientId, input.Username, input.SecretHash);
  const { pool } = call;
  const user = await findUser(app.store, pool, input.Username);
  if (!user) {
    if (call.hideUnknownUsers) return simulatedDetails(pool, input.Username, preferredSignUpAttribute(pool));
    throw userNotFound();
  }
  if (user.status !== 'UNCONFIRMED') throw invalidParameter('User is already confirmed.');
  const attr = signUpDeliveryAttribute(pool, user.attributes);
  if (!attr) throw invalidParameter('Cannot resend codes. Auto verification not turned on.');
  await countAttempt(app, app.store, 'ResendConfirmationCode', pool.id, user.usernameKey);
  const code = await issueCode(app, app.store, {
    poolId: pool.id,
    usernameKey: user.usernameKey,
    purpose: 'sign-up',
    data: { attribute: attr },
  });
  await recordUserEvent(app, pool, user, { type: 'ResendCode', client: call.client, origin });
  return sendSignUpCode(app, call, user, attr, code, { event: 'ResendCode', clientMetadata: input.ClientMetadata });
}

const preferredSignUpAttribute = (pool: UserPool): VerifiableAttribute =>
  (pool.config.AutoVerifiedAttributes ?? []).includes('phone_number') ? 'phone_number' : 'email';
