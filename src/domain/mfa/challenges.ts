import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized, userNotFound } from '../../errors.ts';
import type { ChallengeNameType } from '../../generated/cognito-idp.ts';
import { DEFAULTS, renderAuthentication } from '../messages/templates.ts';
import { deliverMessage } from '../triggers/message-delivery.ts';
import { maskDestination } from '../self-service/delivery.ts';
import { attemptSucceeded, beginAttempt } from '../sign-in/lockout.ts';
import { type AuthOutcome, requireParam, tokensOutcome } from '../sign-in/result.ts';
import { checkSecretHash } from '../sign-in/secret-hash.ts';
import { consumeSession, findSession, invalidSession, type MfaChallengeState, openSession, sessionId, type StoredSession } from '../sign-in/sessions.ts';
import type { SignInContext } from '../sign-in/sign-in.ts';
import { getPool } from '../pools/user-pools.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { findUser, saveUser } from '../users/users.ts';
import { type MfaFactor, poolFactors } from './pool-config.ts';
import { enableFactor, userFactors, userMfaOf } from './settings.ts';
import { matchingStep } from './totp.ts';

/**
 * The MFA step of a sign-in (cognito-protocols.md §6.3, §6.4): after a correct first factor (and
 * the new password, and unless a remembered device stood in), the pool's MfaConfiguration and the
 * user's factors decide. A user with factors answers the preferred one, the only one, or chooses
 * (SELECT_MFA_TYPE with MFAS_CAN_CHOOSE); a pool that requires MFA asks a user without any to set
 * one up (MFA_SETUP with MFAS_CAN_SETUP), unless a phone number or email address can take an SMS
 * or email code straight away; an OPTIONAL pool lets such a user through.
 */

// A wrong MFA code: observed text (aws-amplify/amplify-js#3066, #11069; cognito-quotas-and-errors.md §5).
export const mfaCodeMismatch = () => new CognitoError('CodeMismatchException', 'Invalid code or auth state for the user.');

/** The factors this user can be asked for here: turned on by the user, allowed by the pool, deliverable. */
function usableFactors(pool: UserPool, user: User): MfaFactor[] {
  const allowed = poolFactors(pool);
  return userFactors(user).filter((f) => allowed.has(f) && deliverable(user, f));
}

function deliverable(user: User, f: MfaFactor): boolean {
  if (f === 'SMS_MFA') return !!user.attributes.phone_number;
  if (f === 'EMAIL_OTP') return !!user.attributes.email;
  return true;
}

// NOTE from USER_AUTH (mfa/user-auth.ts): a passwordless first factor comes here with
// ctx.firstFactor 'EMAIL_OTP', 'SMS_OTP' or 'WEB_AUTHN'. Cognito asks no MFA after those: users
// with an MFA factor are not offered them (availableChallenges), so only a pool with MFA ON and a
// user with no factor yet would reach MFA_SETUP here; returning null for those first factors
// (WEB_AUTHN with FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION counts as MFA) is the
// rule to keep.
const PASSWORDLESS = new Set(['EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN']);

export async function mfaChallenge(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext): Promise<AuthOutcome | null> {
  const allowed = poolFactors(pool);
  if (!allowed.size) return null;
  // A passwordless first factor (USER_AUTH's EMAIL_OTP, SMS_OTP, WEB_AUTHN) is not followed by
  // MFA: "MFA and passwordless cannot be used together" (Amplify's passwordless page, pointing at
  // the MFA prerequisites of Cognito's developer guide); USER_AUTH decides who may use them.
  if (ctx.firstFactor && PASSWORDLESS.has(ctx.firstFactor)) return null;
  const usable = usableFactors(pool, user);
  if (usable.length) {
    const preferred = userMfaOf(user).PreferredMfaSetting;
    if (preferred && usable.includes(preferred)) return askFactor(app, pool, client, user, ctx, preferred);
    if (usable.length === 1) return askFactor(app, pool, client, user, ctx, usable[0]);
    const session = await open(app, pool, client, user, { challenge: 'SELECT_MFA_TYPE', ctx, choices: usable });
    return { ChallengeName: 'SELECT_MFA_TYPE', Session: session, ChallengeParameters: { MFAS_CAN_CHOOSE: JSON.stringify(usable) } };
  }
  // Threat protection's adaptive authentication may ask a user without a factor for a code (threat/sign-in.ts).
  if (pool.config.MfaConfiguration !== 'ON' && !ctx.riskMfa) return null;
  // Required MFA with no factor set up: a phone number (or email address) the pool can send to
  // takes a code at once, as Cognito's required SMS MFA always has; otherwise set one up.
  if (allowed.has('SMS_MFA') && deliverable(user, 'SMS_MFA')) return askFactor(app, pool, client, user, ctx, 'SMS_MFA');
  if (allowed.has('EMAIL_OTP') && deliverable(user, 'EMAIL_OTP')) return askFactor(app, pool, client, user, ctx, 'EMAIL_OTP');
  if (pool.config.MfaConfiguration !== 'ON') return null;
  const session = await open(app, pool, client, user, { challenge: 'MFA_SETUP', ctx });
  return {
    ChallengeName: 'MFA_SETUP',
    Session: session,
    ChallengeParameters: { MFAS_CAN_SETUP: JSON.stringify([...allowed]), USER_ID_FOR_SRP: user.username },
  };
}

const open = (app: App, pool: UserPool, client: AppClient, user: User, state: MfaChallengeState) =>
  openSession(app, app.store, { pool, client, usernameKey: user.usernameKey, state });

/** SMS codes are six digits; the email sign-in code observed was eight (cognito-protocols.md §6.3). */
const codeLength = (f: MfaFactor) => (f === 'EMAIL_OTP' ? 8 : 6);

const hashCode = (salt: string, code: string) => createHash('sha256').update(`${salt}\0${code}`, 'utf8').digest();

// Email MFA has no documented default text; these follow the SMS default ("Your authentication code is {####}. ").
const EMAIL_MFA_SUBJECT = 'Your authentication code';

/** Sends the code of SMS_MFA or EMAIL_OTP, or opens SOFTWARE_TOKEN_MFA, with a new Session. */
async function askFactor(app: App, pool: UserPool, client: AppClient, user: User, ctx: SignInContext, factor: MfaFactor, setupEmail?: string): Promise<AuthOutcome> {
  if (factor === 'SOFTWARE_TOKEN_MFA') {
    const token = await app.store.softwareTokens.get(pool.id, user.usernameKey);
    const session = await open(app, pool, client, user, { challenge: 'SOFTWARE_TOKEN_MFA', ctx });
    return {
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      Session: session,
      ChallengeParameters: { ...(token?.friendlyName ? { FRIENDLY_DEVICE_NAME: token.friendlyName } : {}), USER_ID_FOR_SRP: user.username },
    };
  }
  const digits = codeLength(factor);
  const code = String(randomInt(0, 10 ** digits)).padStart(digits, '0');
  const salt = app.random.bytes(16).toString('hex');
  const session = await open(app, pool, client, user, {
    challenge: factor,
    ctx,
    salt,
    codeHash: hashCode(salt, code).toString('hex'),
    ...(setupEmail ? { setupEmail } : {}),
  });
  const sms = factor === 'SMS_MFA';
  const destination = sms ? user.attributes.phone_number : (setupEmail ?? user.attributes.email);
  // The address went away between the choice and now (an attribute deleted meanwhile).
  if (!destination) throw new CognitoError('MFAMethodNotFoundException', `The user has no ${sms ? 'phone number' : 'email address'} to send an MFA code to.`);
  return sendCodeChallenge(app, pool, client, user, { factor, session, sms, destination, code, subject: EMAIL_MFA_SUBJECT, kind: 'mfa' });
}

/**
 * Sends an MFA or passwordless sign-in code in the pool's MFA texts (SMS: the authentication
 * template; email: MfaFactors.email, else `subject` and the SMS default) through the message
 * triggers (CustomMessage_Authentication, the custom senders), and returns its challenge.
 */
export async function sendCodeChallenge(
  app: App,
  pool: UserPool,
  client: AppClient,
  user: User,
  o: { factor: ChallengeNameType; session: string; sms: boolean; destination: string; code: string; subject: string; kind: string },
): Promise<AuthOutcome> {
  const { sms, destination, code } = o;
  const email = pool.config.MfaFactors?.email;
  await deliverMessage(app, pool, {
    event: 'Authentication',
    user,
    clientId: client.clientId,
    message: {
      poolId: pool.id,
      channel: sms ? 'SMS' : 'EMAIL',
      destination,
      ...(sms ? {} : { subject: email?.Subject ?? o.subject }),
      body: sms ? renderAuthentication(pool, code).body : (email?.Message ?? DEFAULTS.smsAuthentication).replaceAll('{####}', code),
      kind: o.kind,
      username: user.username,
      code,
    },
  });
  return {
    ChallengeName: o.factor,
    Session: o.session,
    ChallengeParameters: {
      CODE_DELIVERY_DELIVERY_MEDIUM: sms ? 'SMS' : 'EMAIL',
      CODE_DELIVERY_DESTINATION: maskDestination(sms ? 'phone_number' : 'email', destination),
    },
  };
}

/** The user a challenge session is for, checked against the USERNAME and SECRET_HASH answered. */
async function sessionUser(app: App, pool: UserPool, client: AppClient, record: StoredSession, responses: Record<string, string>): Promise<User> {
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  if (!user) throw userNotFound();
  // Cognito requires USERNAME with every MFA answer (RespondToAuthChallenge's ChallengeResponses doc).
  const given = requireParam(responses, 'USERNAME');
  if (given !== user.username && (await findUser(app.store, pool, given))?.usernameKey !== user.usernameKey) throw invalidSession();
  checkSecretHash(client, [given, user.username], responses.SECRET_HASH);
  if (!user.enabled) throw notAuthorized('User is disabled.');
  return user;
}

/** The answer keys of each code challenge (acij's sendMFACode always adds SMS_MFA_CODE). */
const CODE_KEY: Record<string, string> = { SMS_MFA: 'SMS_MFA_CODE', EMAIL_OTP: 'EMAIL_OTP_CODE', SOFTWARE_TOKEN_MFA: 'SOFTWARE_TOKEN_MFA_CODE' };

/**
 * RespondToAuthChallenge for SMS_MFA, EMAIL_OTP (as MFA), SOFTWARE_TOKEN_MFA, SELECT_MFA_TYPE and
 * MFA_SETUP (with the Session of a successful VerifySoftwareToken, or with an EMAIL to set email
 * MFA up). A wrong code leaves the Session usable for another try (Cognito was seen taking six
 * in a row) and counts toward the sign-in lockout like a wrong password (sign-in/lockout.ts), so
 * five wrong codes lock the user; a right one uses the Session up, once, and signs the user in.
 */
export async function respondMfa(
  app: App,
  pool: UserPool,
  client: AppClient,
  challenge: ChallengeNameType,
  responses: Record<string, string>,
  session: string | undefined,
  found?: StoredSession,
): Promise<AuthOutcome> {
  const record = found ?? (await findSession(app, app.store, client, session, challenge));
  const state = record.data as MfaChallengeState;
  const user = await sessionUser(app, pool, client, record, responses);
  const ctx = state.ctx ?? {};
  switch (state.challenge) {
    case 'SELECT_MFA_TYPE': {
      const answer = requireParam(responses, 'ANSWER');
      if (!state.choices.includes(answer)) throw invalidParameter(`Invalid ANSWER: ${answer.slice(0, 40)} is not one of MFAS_CAN_CHOOSE`);
      await app.store.tx((s) => consumeSession(app, s, record));
      return askFactor(app, pool, client, user, ctx, answer as MfaFactor);
    }
    case 'MFA_SETUP': {
      if (responses.EMAIL !== undefined) return setupEmailMfa(app, pool, client, user, record, responses.EMAIL);
      const token = await app.store.softwareTokens.get(pool.id, user.usernameKey);
      if (!state.verified || !token?.secret) throw invalidSession();
      await app.store.tx((s) => consumeSession(app, s, record));
      return tokensOutcome(app, pool, client, user, ctx);
    }
    case 'SOFTWARE_TOKEN_MFA': {
      const code = requireParam(responses, CODE_KEY.SOFTWARE_TOKEN_MFA);
      await beginAttempt(app, app.store, user);
      const token = await app.store.softwareTokens.get(pool.id, user.usernameKey);
      // Text observed answering SOFTWARE_TOKEN_MFA (amazon-archives/amazon-cognito-identity-js#630).
      if (!token?.secret) throw new CognitoError('SoftwareTokenMFANotFoundException', 'Software Token MFA does not exist for the user.');
      const step = matchingStep(token.secret, code, app.clock.now());
      if (step === null) throw mfaCodeMismatch();
      await app.store.tx(async (s) => {
        // A code is taken once: the step is recorded in the same transaction that uses the Session.
        if (!(await s.softwareTokens.useStep(pool.id, user.usernameKey, step))) throw mfaCodeMismatch();
        await consumeSession(app, s, record);
        await attemptSucceeded(s, user);
      });
      return tokensOutcome(app, pool, client, user, ctx);
    }
    case 'SMS_MFA':
    case 'EMAIL_OTP': {
      const code = requireParam(responses, CODE_KEY[state.challenge]);
      await beginAttempt(app, app.store, user);
      const given = hashCode(state.salt, code);
      const expected = Buffer.from(state.codeHash, 'hex');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw mfaCodeMismatch();
      const signedIn = await app.store.tx(async (s) => {
        await consumeSession(app, s, record);
        await attemptSucceeded(s, user);
        if (state.challenge !== 'EMAIL_OTP' || !state.setupEmail) return user;
        const fresh = await s.users.get(pool.id, user.usernameKey);
        if (!fresh) throw userNotFound();
        fresh.attributes = { ...fresh.attributes, email: state.setupEmail, email_verified: 'true' };
        enableFactor(fresh, 'EMAIL_OTP');
        fresh.updatedAt = app.clock.now();
        await saveUser(s, pool, fresh);
        return fresh;
      });
      return tokensOutcome(app, pool, client, signedIn, ctx);
    }
  }
}

// A plain shape check; the attribute rules of UpdateUserAttributes apply when it is saved.
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * MFA_SETUP answered with EMAIL (Amplify v6's CONTINUE_SIGN_IN_WITH_EMAIL_SETUP sends
 * `{USERNAME, EMAIL}` with the MFA_SETUP Session): a code goes to that address (EMAIL_OTP, a new
 * Session); the right code makes it the user's verified email with email MFA on, and signs in.
 */
async function setupEmailMfa(app: App, pool: UserPool, client: AppClient, user: User, record: StoredSession, email: string): Promise<AuthOutcome> {
  if (!poolFactors(pool).has('EMAIL_OTP')) throw new CognitoError('MFAMethodNotFoundException', 'Email MFA is not enabled for this user pool.');
  if (!EMAIL.test(email) || email.length > 2048) throw invalidParameter('Invalid email address format.');
  await app.store.tx((s) => consumeSession(app, s, record));
  return askFactor(app, pool, client, user, (record.data as { ctx?: SignInContext }).ctx ?? {}, 'EMAIL_OTP', email);
}

/**
 * The live MFA_SETUP session a Session string names, for AssociateSoftwareToken and
 * VerifySoftwareToken, which carry no ClientId: the session's own client and pool.
 */
export async function setupSession(app: App, token: string): Promise<{ record: StoredSession; client: AppClient; pool: UserPool; user: User }> {
  const stored = await app.store.sessions.get(sessionId(token));
  const client = stored && (await app.store.clients.get(stored.clientId));
  if (!client) throw invalidSession();
  const record = await findSession(app, app.store, client, token, 'MFA_SETUP');
  const pool = await getPool(app.store, client.poolId);
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  if (!user) throw userNotFound();
  return { record, client, pool, user };
}

/** Uses an MFA_SETUP session up and opens its successor (the next step's Session). */
export async function nextSetupSession(app: App, found: { record: StoredSession; client: AppClient; pool: UserPool; user: User }, verified: boolean): Promise<string> {
  const { record, client, pool, user } = found;
  await app.store.tx((s) => consumeSession(app, s, record));
  const ctx = (record.data as { ctx?: SignInContext }).ctx ?? {};
  return open(app, pool, client, user, { challenge: 'MFA_SETUP', ctx, ...(verified ? { verified: true } : {}) });
}
