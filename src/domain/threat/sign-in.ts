import { randomBytes } from 'node:crypto';
import type { App } from '../../app.ts';
import { CognitoError, notAuthorized } from '../../errors.ts';
import type { AccountTakeoverActionType, AdvancedSecurityModeType, AuthFlowType, ChallengeNameType, EventFilterType } from '../../generated/cognito-idp.ts';
import type { StoredAuthEvent } from '../../store/repos/auth-events.ts';
import { poolFactors } from '../mfa/pool-config.ts';
import { userFactors } from '../mfa/settings.ts';
import type { SignInContext } from '../sign-in/sign-in.ts';
import type { AuthOutcome } from '../sign-in/result.ts';
import { sessionId } from '../sign-in/sessions.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { findUser } from '../users/users.ts';
import { ScopedStorage } from '../../util/scoped-storage.ts';
import { inRanges } from './cidr.ts';
import { effectiveRiskConfig, type RiskConfig, securityMode } from './config.ts';
import { feedbackTokenHash, NO_RISK, newEvent, type RiskAssessment, riskOf, saveEvent } from './events.ts';
import { sendRiskNotification } from './notify.ts';
import { deviceOf, effectiveIp, type RequestOrigin } from './origin.ts';
import { inPwnedFile } from './pwned.ts';
import { levelOf, signalsFor } from './risk.ts';

/**
 * Threat protection around one sign-in step (InitiateAuth, RespondToAuthChallenge and their Admin
 * forms, wrapped in sign-in/flows.ts). The step runs with an Attempt in async-local storage that
 * the sign-in code's hooks fill in (assessSignIn from finishSignIn, checkCompromisedSignIn from
 * the password check); when the step ends, one write records it as the user's SignIn event:
 * a new event for InitiateAuth, the same event updated by the challenge answers that follow.
 */
interface Attempt {
  mode: Exclude<AdvancedSecurityModeType, 'OFF'>;
  pool: UserPool;
  client: AppClient;
  config: RiskConfig;
  /** For the event this step starts (its device and request id). */
  origin: RequestOrigin;
  ip: string;
  device: ReturnType<typeof deviceOf>;
  /** The address is on SkippedIPRangeList: no risk evaluation. */
  skipped: boolean;
  user?: User;
  /** The step proved a first factor (password, SRP, passwordless) before anything refused it. */
  factorPassed?: boolean;
  /** The kind of proof this step checked, when the hooks know it. */
  factor?: 'Password' | 'Mfa';
  compromised?: boolean;
  assessment?: RiskAssessment;
  /** The adaptive-authentication action to tell the user about by email. */
  notify?: AccountTakeoverActionType['EventAction'];
}

const attempts = new ScopedStorage<Attempt>();

export type SignInStep =
  | { kind: 'initiate'; flow: AuthFlowType; username?: string }
  | { kind: 'respond'; challenge: ChallengeNameType; username?: string; session?: string; responses: Record<string, string> };

const UNTRACKED_FLOWS = new Set<AuthFlowType>(['REFRESH_TOKEN_AUTH', 'REFRESH_TOKEN']);

/** The error a blocked address gets (as apps' tables of Cognito errors record it: "Seen when manually blocking an IP address"). */
export const blockedRequest = () => notAuthorized('Request not allowed due to security reasons.');
/** The error adaptive authentication's BLOCK gets (recorded in the same tables). */
export const blockedSignIn = () => notAuthorized('Unable to login because of security reasons.');

/** How a step ended: tokens (passed), or a next challenge with its Session. */
interface StepEnd {
  passed: boolean;
  session?: string;
}

const apiStepEnd = (o: AuthOutcome): StepEnd => ({ passed: !!o.AuthenticationResult, session: o.Session });

/**
 * Runs one sign-in step under threat protection. `end` reads how the step ended from its result
 * (the API's AuthOutcome by default; the hosted UI's /login has a shape of its own).
 */
export async function trackSignIn<T = AuthOutcome>(
  app: App,
  pool: UserPool,
  client: AppClient,
  origin: RequestOrigin,
  step: SignInStep,
  run: () => Promise<T>,
  end: (out: T) => StepEnd = apiStepEnd as unknown as (out: T) => StepEnd,
): Promise<T> {
  const mode = securityMode(pool);
  if (mode === 'OFF' || (step.kind === 'initiate' && UNTRACKED_FLOWS.has(step.flow))) return run();
  let config: RiskConfig;
  try {
    config = await effectiveRiskConfig(app, pool.id, client.clientId);
  } catch (err) {
    app.log.warn({ poolId: pool.id, err: (err as Error).message }, 'could not read the risk configuration; the sign-in goes on without threat protection');
    return run();
  }
  const ip = effectiveIp(origin, client);
  const attempt: Attempt = { mode, pool, client, config, origin, ip, device: deviceOf(origin), skipped: inRanges(config.RiskExceptionConfiguration?.SkippedIPRangeList, ip) };
  if (inRanges(config.RiskExceptionConfiguration?.BlockedIPRangeList, ip)) {
    attempt.assessment = { decision: 'Block', compromised: false };
    if (mode === 'ENFORCED') {
      const err = blockedRequest();
      await finish(app, attempt, step, undefined, err);
      throw err;
    }
  }
  try {
    const out = await attempts.run(attempt, run);
    await finish(app, attempt, step, end(out), undefined);
    return out;
  } catch (err) {
    await finish(app, attempt, step, undefined, err);
    throw err;
  }
}

/** The refusals that mean the proof given was wrong (or refused): the step's challenge is a Failure. Other errors record none. */
const CREDENTIAL_ERRORS = new Set(['NotAuthorizedException', 'CodeMismatchException', 'ExpiredCodeException', 'PasswordResetRequiredException']);

function stepFactor(step: SignInStep): 'Password' | 'Mfa' | undefined {
  if (step.kind === 'initiate') return undefined;
  switch (step.challenge) {
    case 'PASSWORD_VERIFIER':
    case 'PASSWORD':
      return 'Password';
    case 'PASSWORD_SRP':
      return step.responses.PASSWORD_CLAIM_SIGNATURE ? 'Password' : undefined;
    case 'SMS_MFA':
    case 'SOFTWARE_TOKEN_MFA':
    case 'EMAIL_OTP':
    case 'SMS_OTP':
      return 'Mfa';
    default:
      return undefined;
  }
}

/** Records the step as the user's SignIn event; never throws. */
async function finish(app: App, a: Attempt, step: SignInStep, out: StepEnd | undefined, err: unknown): Promise<void> {
  try {
    const user = a.user ?? (await stepUser(app, a, step));
    if (!user) return;
    let event: StoredAuthEvent | undefined;
    if (step.kind === 'respond') {
      // The event whose step answered this Session (concurrent sign-ins of one user stay apart),
      // else the user's newest one still in progress on this client, within the longest a
      // challenge session lives (15 minutes).
      const recent = await app.store.authEvents.since(user.poolId, user.usernameKey, app.clock.now() - 15 * 60 * 1000, 20);
      const answered = step.session ? sessionId(step.session) : undefined;
      event =
        recent.find((e) => answered !== undefined && e.context.session === answered) ??
        recent.find((e) => e.eventType === 'SignIn' && e.response === 'InProgress' && e.clientId === a.client.clientId);
    }
    event ??= newEvent(app, a.pool, user, { type: 'SignIn', client: a.client, origin: a.origin });
    // The address and device risk was judged on (a trusted UserContextData / ContextData one).
    event.ip = a.ip;
    event.context.IpAddress = a.ip;
    const factor = a.factor ?? stepFactor(step);
    const failed = err instanceof CognitoError && CREDENTIAL_ERRORS.has(err.type) && !a.factorPassed;
    if (factor && (!err || failed || a.factorPassed)) event.challenges = [...event.challenges, { ChallengeName: factor, ChallengeResponse: failed ? 'Failure' : 'Success' }];
    event.response = err ? 'Fail' : out?.passed ? 'Pass' : 'InProgress';
    // The next step's Session, as stored sessions key it (a hash, never the Session itself).
    if (out?.session) event.context.session = sessionId(out.session);
    if (a.assessment || a.compromised) {
      // A later step keeps what the first factor's step concluded, adding only what it learnt.
      const prev = event.risk as { RiskDecision?: RiskAssessment['decision']; RiskLevel?: RiskAssessment['level']; CompromisedCredentialsDetected?: boolean };
      event.risk = riskOf({
        decision: a.assessment?.decision ?? prev.RiskDecision ?? 'NoRisk',
        level: a.assessment ? a.assessment.level : prev.RiskLevel,
        compromised: !!a.compromised || !!a.assessment?.compromised || prev.CompromisedCredentialsDetected === true,
      });
    }
    const notifyConfig = a.config.AccountTakeoverRiskConfiguration?.NotifyConfiguration;
    const token = a.notify && notifyConfig ? randomBytes(32).toString('base64url') : undefined;
    if (token) event.feedbackTokenHash = feedbackTokenHash(token);
    await saveEvent(app, a.pool, user, event);
    if (token && notifyConfig) await sendRiskNotification(app, a.pool, user, event, { action: a.notify!, config: notifyConfig, token });
  } catch (e) {
    app.log.warn({ poolId: a.pool.id, err: (e as Error).message }, 'could not record the sign-in event');
  }
}

/** The user a step concerns when no hook named it: USERNAME, or the challenge session's user. */
async function stepUser(app: App, a: Attempt, step: SignInStep): Promise<User | undefined> {
  if (step.username) return findUser(app.store, a.pool, step.username);
  if (step.kind === 'respond' && step.session) {
    const record = await app.store.sessions.get(sessionId(step.session));
    if (record?.usernameKey && record.poolId === a.pool.id) return app.store.users.get(a.pool.id, record.usernameKey);
  }
  return undefined;
}

/** Called by checkPasswordFactor before the password is checked: this step proves a password. */
export function notePasswordStep(user: User): void {
  const a = attempts.get();
  if (!a) return;
  a.user = user;
  a.factor = 'Password';
}

/**
 * Compromised credentials at sign-in (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and the
 * PASSWORD choice of USER_AUTH; never SRP, which hides the password, as Cognito's note says),
 * called once the password is known correct. Detected, it is recorded; under ENFORCED with
 * EventAction BLOCK the user is set to RESET_REQUIRED (as Cognito documents) and refused.
 */
export async function checkCompromisedSignIn(app: App, pool: UserPool, user: User, password: string): Promise<void> {
  const a = attempts.get();
  if (!a) return;
  a.factorPassed = true;
  if (a.skipped || !(await isCompromised(app, a.config, password, 'SIGN_IN'))) return;
  a.compromised = true;
  if (a.mode !== 'ENFORCED' || a.config.CompromisedCredentialsRiskConfiguration?.Actions.EventAction !== 'BLOCK') return;
  await app.store.tx(async (s) => {
    const fresh = await s.users.get(pool.id, user.usernameKey);
    if (!fresh) return;
    fresh.status = 'RESET_REQUIRED';
    fresh.updatedAt = app.clock.now();
    await s.users.update(fresh);
  });
  // guessed: the answer to the blocked sign-in itself; later ones get RESET_REQUIRED's.
  throw new CognitoError('PasswordResetRequiredException', 'Password reset required for the user');
}

/**
 * Compromised credentials at sign-up and password changes (SignUp, ChangePassword,
 * ConfirmForgotPassword). Returns whether the password is in the list; under ENFORCED with
 * BLOCK it is refused instead.
 */
export async function checkCompromisedPassword(
  app: App,
  pool: UserPool,
  client: AppClient | undefined,
  origin: RequestOrigin | undefined,
  password: string,
  filter: EventFilterType,
): Promise<boolean> {
  const mode = securityMode(pool);
  if (mode === 'OFF' || !app.config.compromisedPasswordsFile) return false;
  const config = await effectiveRiskConfig(app, pool.id, client?.clientId ?? '');
  if (origin && inRanges(config.RiskExceptionConfiguration?.SkippedIPRangeList, effectiveIp(origin, client))) return false;
  if (!(await isCompromised(app, config, password, filter))) return false;
  if (mode === 'ENFORCED' && config.CompromisedCredentialsRiskConfiguration?.Actions.EventAction === 'BLOCK') {
    // guessed: Cognito's answer to a compromised password at sign-up or change has not been seen.
    throw new CognitoError('InvalidPasswordException', 'The password has appeared in a data breach and cannot be used. Choose another password.');
  }
  return true;
}

/** Whether the event is checked (EventFilter, all events by default) and the password is in the operator's list. */
async function isCompromised(app: App, config: RiskConfig, password: string, filter: EventFilterType): Promise<boolean> {
  const file = app.config.compromisedPasswordsFile;
  if (!file) return false;
  const events = config.CompromisedCredentialsRiskConfiguration?.EventFilter;
  if (events?.length && !events.includes(filter)) return false;
  try {
    return await inPwnedFile(file, password);
  } catch (err) {
    app.log.warn({ file, err: (err as Error).message }, 'cannot read the compromised passwords file; passwords are not checked');
    return false;
  }
}

/**
 * Adaptive authentication, called by finishSignIn once the first factor is proved: the risk
 * signals (risk.ts) give a level; the level's action of AccountTakeoverRiskConfiguration applies
 * under ENFORCED (BLOCK refuses; MFA_IF_CONFIGURED and MFA_REQUIRED set ctx.riskMfa, which the
 * MFA step honours, and MFA_REQUIRED refuses a user who cannot get any MFA code) and only
 * records under AUDIT.
 */
export async function assessSignIn(app: App, pool: UserPool, user: User, ctx: SignInContext): Promise<void> {
  const a = attempts.get();
  if (!a) return;
  a.user = user;
  a.factorPassed = true;
  if (a.assessment?.decision === 'Block' || a.skipped) return;
  const level = levelOf(await signalsFor(app, user, a.ip, a.device.key));
  a.assessment = level ? { decision: 'AccountTakeover', level, compromised: !!a.compromised } : { ...NO_RISK, compromised: !!a.compromised };
  if (!level) return;
  const ato = a.config.AccountTakeoverRiskConfiguration;
  const action = ato?.Actions[`${level}Action`];
  if (!action) return;
  // AUDIT takes no action, and telling the user is one.
  if (a.mode !== 'ENFORCED') return;
  if (action.Notify && ato?.NotifyConfiguration) a.notify = action.EventAction;
  switch (action.EventAction) {
    case 'BLOCK':
      throw blockedSignIn();
    case 'MFA_REQUIRED':
      if (!mfaPossible(pool, user)) {
        if (a.notify) a.notify = 'BLOCK';
        throw blockedSignIn();
      }
      ctx.riskMfa = 'REQUIRED';
      return;
    case 'MFA_IF_CONFIGURED':
      if (mfaPossible(pool, user)) ctx.riskMfa = 'IF_CONFIGURED';
      return;
    default:
  }
}

/**
 * Whether the MFA step can ask this user for a code: a factor the user turned on, or an SMS or
 * email code the pool allows to a phone number or email address the user has (the API
 * reference of AccountTakeoverActionType: "users must have an email address or phone number
 * attribute, or a registered TOTP factor").
 */
function mfaPossible(pool: UserPool, user: User): boolean {
  const allowed = poolFactors(pool);
  if (userFactors(user).some((f) => allowed.has(f))) return true;
  return (allowed.has('SMS_MFA') && !!user.attributes.phone_number) || (allowed.has('EMAIL_OTP') && !!user.attributes.email);
}
