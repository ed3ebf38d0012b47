import type { App } from '../../app.ts';
import { CognitoError, invalidParameter, notAuthorized, userNotFound } from '../../errors.ts';
import type { ChallengeNameType, GetUserAuthFactorsResponse } from '../../generated/cognito-idp.ts';
import { allowedAuthFlows, authSessionValiditySeconds, preventUserExistenceErrors } from '../pools/app-clients.ts';
import { issueCode, redeemCode } from '../self-service/codes.ts';
import { simulatedDetails } from '../self-service/delivery.ts';
import { attemptSucceeded, beginAttempt } from '../sign-in/lockout.ts';
import { passwordSignIn } from '../sign-in/password.ts';
import { type AuthOutcome, requireParam } from '../sign-in/result.ts';
import { checkSecretHash } from '../sign-in/secret-hash.ts';
import { consumeSession, findSession, invalidSession, openSession, type StoredSession, type UserAuthChallengeState } from '../sign-in/sessions.ts';
import { finishSignIn, type SignInContext } from '../sign-in/sign-in.ts';
import { startSrp } from '../sign-in/srp.ts';
import { checkUserCanSignIn } from '../sign-in/user-state.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { findUser } from '../users/users.ts';
import { mfaCodeMismatch, sendCodeChallenge } from './challenges.ts';
import { poolFactors } from './pool-config.ts';
import { userFactors, userMfaOf } from './settings.ts';
import { allowedFirstFactors, passkeysAreMultiFactor } from './webauthn-config.ts';
import { webAuthnChallenge } from './webauthn.ts';

/**
 * USER_AUTH, choice-based sign-in (cognito-protocols.md §6.7): the first factors the pool's
 * SignInPolicy allows and the user has (a password, a verified email or phone number, a passkey);
 * PREFERRED_CHALLENGE goes straight to one, else SELECT_CHALLENGE lists them in
 * AvailableChallenges. A correct passwordless factor goes on through finishSignIn with
 * ctx.firstFactor set to 'EMAIL_OTP', 'SMS_OTP' or 'WEB_AUTHN'.
 *
 * MFA and passwordless do not mix in Cognito: a user with an MFA factor active is not offered
 * the passwordless codes or passkeys ("If a user has MFA configured, passwordless sign-in options
 * will not be available", Amplify's passwordless page, citing Cognito's MFA prerequisites),
 * except passkeys where the pool's FactorConfiguration MULTI_FACTOR_WITH_USER_VERIFICATION makes
 * a verified passkey count as MFA; so no MFA challenge follows a passwordless first factor
 * (mfa/challenges.ts may rely on ctx.firstFactor for that too).
 */

type OtpFactor = 'EMAIL_OTP' | 'SMS_OTP';
const PASSWORDLESS = new Set(['EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN']);

/** Whether the user has an MFA factor the pool would ask for: then only the password is offered. */
function hasActiveMfa(pool: UserPool, user: User): boolean {
  const allowed = poolFactors(pool);
  return userFactors(user).some((f) => allowed.has(f));
}

const verified = (user: User, attr: 'email' | 'phone_number') => !!user.attributes[attr] && user.attributes[`${attr}_verified`] === 'true';

/**
 * The first factors this user may choose, as AvailableChallenges names them, in the order of the
 * pool's AllowedFirstAuthFactors (a password is offered as PASSWORD_SRP and PASSWORD, the order
 * observed). A user on a temporary password gets the password only (observed: a
 * FORCE_CHANGE_PASSWORD user was offered ["PASSWORD_SRP","PASSWORD"] though EMAIL_OTP was allowed).
 */
export async function availableChallenges(app: App, pool: UserPool, user: User): Promise<ChallengeNameType[]> {
  const out: ChallengeNameType[] = [];
  const temporary = user.status === 'FORCE_CHANGE_PASSWORD';
  const mfa = hasActiveMfa(pool, user);
  for (const f of allowedFirstFactors(pool)) {
    if (f === 'PASSWORD') {
      if (user.passwordHash) out.push('PASSWORD_SRP', 'PASSWORD');
      continue;
    }
    // A user with MFA keeps passkeys only where a verified passkey counts as MFA.
    if (temporary || (mfa && !(f === 'WEB_AUTHN' && passkeysAreMultiFactor(pool)))) continue;
    if (f === 'EMAIL_OTP' && verified(user, 'email')) out.push('EMAIL_OTP');
    if (f === 'SMS_OTP' && verified(user, 'phone_number')) out.push('SMS_OTP');
    if (f === 'WEB_AUTHN' && (await app.store.webauthn.countOfUser(pool.id, user.usernameKey)) > 0) out.push('WEB_AUTHN');
  }
  return out;
}

/** GetUserAuthFactors: the MFA settings beside the USER_AUTH factors the user can sign in with. */
export async function getUserAuthFactors(app: App, pool: UserPool, user: User): Promise<GetUserAuthFactorsResponse> {
  const mfa = userMfaOf(user);
  const out: GetUserAuthFactorsResponse = { Username: user.username };
  if (mfa.PreferredMfaSetting) out.PreferredMfaSetting = mfa.PreferredMfaSetting;
  const list = userFactors(user);
  if (list.length) out.UserMFASettingList = list;
  const factors = new Set((await availableChallenges(app, pool, user)).map((c) => (c === 'PASSWORD_SRP' ? 'PASSWORD' : c)));
  out.ConfiguredUserAuthFactors = (['PASSWORD', 'EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN'] as const).filter((f) => factors.has(f));
  return out;
}

const ctxOf = (params: Record<string, string>): SignInContext => ({ deviceKey: params.DEVICE_KEY || undefined });

/**
 * InitiateAuth / AdminInitiateAuth with AuthFlow USER_AUTH. PREFERRED_CHALLENGE PASSWORD (with
 * PASSWORD) and PASSWORD_SRP (with SRP_A) are the password and SRP flows; EMAIL_OTP, SMS_OTP and
 * WEB_AUTHN go straight to their challenge when the user has that factor (the answer then lists
 * just it in AvailableChallenges, as observed for EMAIL_OTP); otherwise SELECT_CHALLENGE.
 */
export async function initiateUserAuth(
  app: App,
  pool: UserPool,
  client: AppClient,
  params: Record<string, string>,
  session?: string,
): Promise<AuthOutcome> {
  const username = requireParam(params, 'USERNAME');
  const preferred = params.PREFERRED_CHALLENGE || undefined;
  checkSecretHash(client, [username], params.SECRET_HASH);
  if (session) return signInAfterSignUp(app, pool, client, username, session, ctxOf(params));
  if (preferred === 'PASSWORD') return passwordSignIn(app, pool, client, params);
  if (preferred === 'PASSWORD_SRP') return startSrp(app, pool, client, params);
  const user = await findUser(app.store, pool, username);
  if (!user) return unknownUser(app, pool, client, username, preferred);
  checkUserCanSignIn(client, user, { passwordless: true });
  const available = await availableChallenges(app, pool, user);
  const ctx = ctxOf(params);
  if (preferred && PASSWORDLESS.has(preferred) && available.includes(preferred as ChallengeNameType)) {
    return { ...(await startFactor(app, pool, client, user, preferred as ChallengeNameType, ctx)), AvailableChallenges: [preferred as ChallengeNameType] };
  }
  if (!available.length) throw notAuthorized('Incorrect username or password.');
  return selectChallenge(app, pool, client, user.usernameKey, available, ctx);
}

async function selectChallenge(
  app: App,
  pool: UserPool,
  client: AppClient,
  usernameKey: string | null,
  available: ChallengeNameType[],
  ctx: SignInContext,
  simulated?: boolean,
): Promise<AuthOutcome> {
  const state: UserAuthChallengeState = { challenge: 'SELECT_CHALLENGE', ctx, available, ...(simulated ? { simulated } : {}) };
  const session = await openSession(app, app.store, { pool, client, usernameKey, state });
  return { ChallengeName: 'SELECT_CHALLENGE', Session: session, ChallengeParameters: {}, AvailableChallenges: available };
}

/**
 * An unknown user: UserNotFoundException, or, when the client hides user existence, an answer
 * like a real user's: a simulated EMAIL_OTP challenge with a destination made from the input
 * (observed), else a SELECT_CHALLENGE of the pool's factors. Every answer to it fails.
 */
async function unknownUser(app: App, pool: UserPool, client: AppClient, username: string, preferred: string | undefined): Promise<AuthOutcome> {
  if (preventUserExistenceErrors(client) !== 'ENABLED') throw userNotFound();
  const allowed = allowedFirstFactors(pool);
  if ((preferred === 'EMAIL_OTP' || preferred === 'SMS_OTP') && allowed.includes(preferred)) {
    return { ...(await simulatedOtp(app, pool, client, username, preferred)), AvailableChallenges: [preferred] };
  }
  const available: ChallengeNameType[] = ['PASSWORD_SRP', 'PASSWORD', ...allowed.filter((f) => f === 'EMAIL_OTP' || f === 'SMS_OTP')];
  return selectChallenge(app, pool, client, null, available, {}, true);
}

/** A code challenge for nobody: a plausible destination made from the name; every code is wrong. */
async function simulatedOtp(app: App, pool: UserPool, client: AppClient, username: string, factor: OtpFactor): Promise<AuthOutcome> {
  const details = simulatedDetails(pool, username, factor === 'SMS_OTP' ? 'phone_number' : 'email');
  const state: UserAuthChallengeState = { challenge: 'USER_AUTH_OTP', factor, simulated: true };
  const session = await openSession(app, app.store, { pool, client, usernameKey: null, state });
  return {
    ChallengeName: factor,
    Session: session,
    ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: details.DeliveryMedium!, CODE_DELIVERY_DESTINATION: details.Destination! },
  };
}

/** Opens the challenge of one passwordless factor the user has. */
async function startFactor(app: App, pool: UserPool, client: AppClient, user: User, factor: ChallengeNameType, ctx: SignInContext): Promise<AuthOutcome> {
  if (factor === 'WEB_AUTHN') return webAuthnChallenge(app, pool, client, user, ctx);
  if (factor === 'EMAIL_OTP' || factor === 'SMS_OTP') return sendOtp(app, pool, client, user, factor, ctx);
  throw invalidParameter(`Invalid challenge ${factor}`);
}

/**
 * Sends a passwordless sign-in code and opens its challenge. The code goes to the code store
 * (hashed, one per user and factor, a new one voiding the old), living as long as the session;
 * email codes have eight digits, SMS codes six (cognito-protocols.md §6.3). The texts are the
 * pool's MFA message templates, which Cognito uses for sign-in codes too (the SDK's
 * EmailMfaConfiguration: "email message MFA and sign-in with one-time passwords").
 */
async function sendOtp(app: App, pool: UserPool, client: AppClient, user: User, factor: OtpFactor, ctx: SignInContext): Promise<AuthOutcome> {
  const sms = factor === 'SMS_OTP';
  const destination = sms ? user.attributes.phone_number : user.attributes.email;
  const state: UserAuthChallengeState = { challenge: 'USER_AUTH_OTP', factor, ctx };
  const { session, code } = await app.store.tx(async (s) => {
    const code = await issueCode(app, s, {
      poolId: pool.id,
      usernameKey: user.usernameKey,
      purpose: `sign-in:${factor}`,
      validityMs: authSessionValiditySeconds(client) * 1000,
      digits: sms ? 6 : 8,
    });
    const session = await openSession(app, s, { pool, client, usernameKey: user.usernameKey, state });
    return { session, code };
  });
  return sendCodeChallenge(app, pool, client, user, { factor, session, sms, destination, code, subject: 'Your sign-in code', kind: 'sign-in' });
}

/** The user of a USER_AUTH session, checked against the answer's USERNAME and SECRET_HASH. */
async function sessionUser(app: App, pool: UserPool, client: AppClient, record: StoredSession, responses: Record<string, string>): Promise<User | null> {
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  const given = responses.USERNAME;
  checkSecretHash(client, [given ?? user?.username ?? ''], responses.SECRET_HASH);
  if (!user) return null;
  if (given && given !== user.username && (await findUser(app.store, pool, given))?.usernameKey !== user.usernameKey) throw invalidSession();
  checkUserCanSignIn(client, user, { passwordless: true });
  return user;
}

/**
 * RespondToAuthChallenge SELECT_CHALLENGE: ANSWER names one of the AvailableChallenges offered.
 * PASSWORD (with PASSWORD) and PASSWORD_SRP (with SRP_A) finish as the password and SRP flows do;
 * WEB_AUTHN answers with the passkey challenge (CREDENTIAL_REQUEST_OPTIONS), as Amplify expects;
 * EMAIL_OTP and SMS_OTP send a code. The session is spent by the choice.
 * Answering PASSWORD, PASSWORD_SRP or WEB_AUTHN by name with the SELECT_CHALLENGE session is the
 * same choice (the API reference lists both forms).
 */
export async function respondSelectChallenge(
  app: App,
  pool: UserPool,
  client: AppClient,
  challenge: ChallengeNameType,
  responses: Record<string, string>,
  token: string | undefined,
): Promise<AuthOutcome> {
  const record = await findSession(app, app.store, client, token, 'SELECT_CHALLENGE');
  const state = record.data as Extract<UserAuthChallengeState, { challenge: 'SELECT_CHALLENGE' }>;
  const answer = (challenge === 'SELECT_CHALLENGE' ? requireParam(responses, 'ANSWER') : challenge) as ChallengeNameType;
  if (!state.available.includes(answer)) throw invalidParameter(`Invalid ANSWER: ${answer} is not one of the available challenges.`);
  const username = requireParam(responses, 'USERNAME');
  const user = await sessionUser(app, pool, client, record, responses);
  await app.store.tx((s) => consumeSession(app, s, record));
  const params: Record<string, string> = { ...responses, USERNAME: user?.username ?? username };
  if (state.ctx?.deviceKey && !params.DEVICE_KEY) params.DEVICE_KEY = state.ctx.deviceKey;
  if (answer === 'PASSWORD') return passwordSignIn(app, pool, client, params);
  if (answer === 'PASSWORD_SRP') return startSrp(app, pool, client, params);
  if (!user || state.simulated) {
    if (answer === 'EMAIL_OTP' || answer === 'SMS_OTP') return simulatedOtp(app, pool, client, username, answer);
    throw notAuthorized('Incorrect username or password.');
  }
  return startFactor(app, pool, client, user, answer, state.ctx ?? {});
}

/**
 * ConfirmSignUp's Session, for a client that may sign in with USER_AUTH: the confirmation code
 * the user just gave stands for the first factor of one sign-in within the client's
 * AuthSessionValidity (the API reference of InitiateAuth's Session; Amplify's autoSignIn sends
 * it). Undefined for other clients.
 */
export async function signUpSession(
  app: App,
  pool: UserPool,
  client: AppClient,
  usernameKey: string,
  attribute: 'email' | 'phone_number' | undefined,
): Promise<string | undefined> {
  if (!allowedAuthFlows(client).has('ALLOW_USER_AUTH')) return undefined;
  const state: UserAuthChallengeState = { challenge: 'SIGN_UP_CONFIRMED', factor: attribute === 'phone_number' ? 'SMS_OTP' : 'EMAIL_OTP' };
  return openSession(app, app.store, { pool, client, usernameKey, state });
}

/** InitiateAuth USER_AUTH with ConfirmSignUp's Session: that user, once, straight past the first factor. */
async function signInAfterSignUp(app: App, pool: UserPool, client: AppClient, username: string, token: string, ctx: SignInContext): Promise<AuthOutcome> {
  const record = await findSession(app, app.store, client, token, 'SIGN_UP_CONFIRMED');
  const state = record.data as Extract<UserAuthChallengeState, { challenge: 'SIGN_UP_CONFIRMED' }>;
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  if (!user) throw userNotFound();
  if (username !== user.username && (await findUser(app.store, pool, username))?.usernameKey !== user.usernameKey) throw invalidSession();
  checkUserCanSignIn(client, user, { passwordless: true });
  await app.store.tx((s) => consumeSession(app, s, record));
  return finishSignIn(app, pool, client, user, { ...ctx, firstFactor: state.factor });
}

/** Cognito's answer to a wrong passwordless code (observed: the MFA code text, cognito-protocols.md §6.3). */
const wrongCode = mfaCodeMismatch;

/**
 * RespondToAuthChallenge EMAIL_OTP / SMS_OTP of USER_AUTH (flows.ts dispatches EMAIL_OTP here
 * when its session is a USER_AUTH_OTP one): EMAIL_OTP_CODE / SMS_OTP_CODE. The code is redeemed
 * and the session spent in one transaction, so a code signs in once; a wrong code leaves the
 * session live (observed: six wrong codes in a row, each CodeMismatchException) but counts toward
 * the user's sign-in lockout and on the code.
 */
export async function respondFirstFactorOtp(
  app: App,
  pool: UserPool,
  client: AppClient,
  challenge: ChallengeNameType,
  responses: Record<string, string>,
  token: string | undefined,
): Promise<AuthOutcome> {
  const record = await findSession(app, app.store, client, token, 'USER_AUTH_OTP');
  const state = record.data as Extract<UserAuthChallengeState, { challenge: 'USER_AUTH_OTP' }>;
  if (state.factor !== challenge) throw invalidSession();
  const code = requireParam(responses, `${state.factor}_CODE`);
  requireParam(responses, 'USERNAME');
  const user = await sessionUser(app, pool, client, record, responses);
  if (!user || state.simulated) throw wrongCode();
  await beginAttempt(app, app.store, user);
  const purpose = `sign-in:${state.factor}` as const;
  const failure = await app.store.tx(async (s) => {
    // A concurrent answer that spent the session first wins: this one gets "used once", not a code error.
    if ((await s.sessions.get(record.id))?.consumedAt !== null) await consumeSession(app, s, record);
    const check = await redeemCode(app, s, pool.id, user.usernameKey, purpose, code);
    if (!check.ok) return check.error;
    await consumeSession(app, s, record);
    return null;
  });
  if (failure) throw failure instanceof CognitoError && failure.type === 'NotAuthorizedException' ? failure : wrongCode();
  await attemptSucceeded(app.store, user);
  return finishSignIn(app, pool, client, user, { ...state.ctx, firstFactor: state.factor });
}
