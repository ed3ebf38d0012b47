import type { App } from '../../app.ts';
import { invalidParameter } from '../../errors.ts';
import type { AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType } from '../../generated/cognito-idp.ts';
import { allowedAuthFlows, getClientAndPool, getPoolAndClient, preventUserExistenceErrors } from '../pools/app-clients.ts';
import type { AppClient, UserPool } from '../types.ts';
import { respondNewPassword } from './new-password.ts';
import { passwordSignIn } from './password.ts';
import { refreshSignIn } from './refresh.ts';
import type { AuthOutcome } from './result.ts';
import { respondPasswordVerifier, startSrp } from './srp.ts';
import { respondMfa } from '../mfa/challenges.ts';
import { sessionId } from './sessions.ts';
import { respondDevicePasswordVerifier, respondDeviceSrpAuth } from '../mfa/device-srp.ts';
import { initiateUserAuth, respondFirstFactorOtp, respondSelectChallenge } from '../mfa/user-auth.ts';
import { respondWebAuthn } from '../mfa/webauthn.ts';
import { initiateCustomAuth, respondCustomChallenge } from './custom-auth.ts';
import { withChallengeMetadata } from '../triggers/client-metadata.ts';
import { triggerFunction } from '../triggers/invoke.ts';
import { preAuthentication } from '../triggers/pre-authentication.ts';
import { findUser } from '../users/users.ts';
import { trackSignIn } from '../threat/sign-in.ts';
import type { RequestOrigin } from '../threat/origin.ts';

/** The flows that start a sign-in with a user's name (PreAuthentication runs for them). */
const SIGN_IN_FLOWS = new Set<AuthFlowType>(['USER_PASSWORD_AUTH', 'ADMIN_USER_PASSWORD_AUTH', 'ADMIN_NO_SRP_AUTH', 'USER_SRP_AUTH', 'USER_AUTH']);

/**
 * Who is calling: the public operations name only a client; the Admin ones a pool too. The
 * origin is where the call comes from, which threat protection judges (threat/origin.ts).
 */
export type Caller =
  | { admin: false; clientId: string; origin: RequestOrigin }
  | { admin: true; poolId: string; clientId: string; origin: RequestOrigin };

async function poolAndClient(app: App, caller: Caller): Promise<{ pool: UserPool; client: AppClient }> {
  return caller.admin ? getPoolAndClient(app.store, caller.poolId, caller.clientId) : getClientAndPool(app.store, caller.clientId);
}

/** The ALLOW_* value that enables each flow. */
const FLOW_PERMISSION: Partial<Record<AuthFlowType, ExplicitAuthFlowsType>> = {
  USER_PASSWORD_AUTH: 'ALLOW_USER_PASSWORD_AUTH',
  ADMIN_USER_PASSWORD_AUTH: 'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  ADMIN_NO_SRP_AUTH: 'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  USER_SRP_AUTH: 'ALLOW_USER_SRP_AUTH',
  REFRESH_TOKEN_AUTH: 'ALLOW_REFRESH_TOKEN_AUTH',
  REFRESH_TOKEN: 'ALLOW_REFRESH_TOKEN_AUTH',
  // Choice-based sign-in needs ALLOW_USER_AUTH only, not the password or SRP flows (cognito-protocols.md §6.7).
  USER_AUTH: 'ALLOW_USER_AUTH',
  CUSTOM_AUTH: 'ALLOW_CUSTOM_AUTH',
};

/**
 * Which flows each operation takes, and Cognito's refusals (cognito-quotas-and-errors.md §5):
 * an admin flow on InitiateAuth (and USER_PASSWORD_AUTH on AdminInitiateAuth) is "Initiate Auth
 * method not supported."; a flow the client's ExplicitAuthFlows leaves out is refused with
 * "USER_PASSWORD_AUTH flow not enabled for this client" (InitiateAuth) or "Auth flow not enabled
 * for this client" (AdminInitiateAuth).
 */
function checkFlow(app: App, caller: Caller, client: AppClient, flow: AuthFlowType): void {
  const adminOnly = flow === 'ADMIN_USER_PASSWORD_AUTH' || flow === 'ADMIN_NO_SRP_AUTH';
  if (caller.admin ? flow === 'USER_PASSWORD_AUTH' : adminOnly) throw invalidParameter('Initiate Auth method not supported.');
  const permission = FLOW_PERMISSION[flow];
  if (permission && !allowedAuthFlows(client, { lenientDefault: !app.config.strictAuthFlows }).has(permission)) {
    if (caller.admin) throw invalidParameter('Auth flow not enabled for this client');
    throw invalidParameter(`${flow} flow not enabled for this client`);
  }
}

/** InitiateAuth and AdminInitiateAuth. */
export async function initiateAuth(
  app: App,
  caller: Caller,
  flow: AuthFlowType,
  params: Record<string, string> | undefined,
  /** USER_AUTH only: the Session of ConfirmSignUp, which stands for the first factor. */
  session?: string,
  /** The call's ClientMetadata: PreAuthentication's validationData. */
  clientMetadata?: Record<string, string>,
): Promise<AuthOutcome> {
  const { pool, client } = await poolAndClient(app, caller);
  checkFlow(app, caller, client, flow);
  if (SIGN_IN_FLOWS.has(flow) && params?.USERNAME && triggerFunction(pool, 'PreAuthentication')) {
    // Refreshes do not run PreAuthentication; an unknown user runs it only when the client
    // hides user existence (developer guide, "Pre authentication Lambda trigger").
    const user = (await findUser(app.store, pool, params.USERNAME)) ?? null;
    if (user || preventUserExistenceErrors(client) === 'ENABLED') {
      await preAuthentication(app, pool, { user, userName: params.USERNAME, clientId: client.clientId, clientMetadata });
    }
  }
  if (!app.config.strictAuthFlows && !client.config.ExplicitAuthFlows?.length && FLOW_PERMISSION[flow]?.includes('PASSWORD')) {
    app.log.warn(
      { clientId: client.clientId, flow },
      'client has no ExplicitAuthFlows: Tobira allows this password flow, real Cognito would refuse it (see --strict-auth-flows)',
    );
  }
  const p = params ?? {};
  // Threat protection records the step as the user's SignIn event, and may refuse it (threat/).
  return trackSignIn(app, pool, client, caller.origin, { kind: 'initiate', flow, username: p.USERNAME }, () => dispatchFlow(app, pool, client, flow, p, session, clientMetadata));
}

async function dispatchFlow(
  app: App,
  pool: UserPool,
  client: AppClient,
  flow: AuthFlowType,
  p: Record<string, string>,
  session: string | undefined,
  clientMetadata: Record<string, string> | undefined,
): Promise<AuthOutcome> {
  switch (flow) {
    case 'USER_PASSWORD_AUTH':
    case 'ADMIN_USER_PASSWORD_AUTH':
    case 'ADMIN_NO_SRP_AUTH':
      return passwordSignIn(app, pool, client, p, clientMetadata);
    case 'USER_SRP_AUTH':
      return startSrp(app, pool, client, p);
    case 'CUSTOM_AUTH':
      return initiateCustomAuth(app, pool, client, p);
    case 'REFRESH_TOKEN_AUTH':
    case 'REFRESH_TOKEN':
      return refreshSignIn(app, pool, client, p);
    case 'USER_AUTH':
      return initiateUserAuth(app, pool, client, p, session);
    default:
      throw invalidParameter(`Tobira does not support the ${flow} flow yet.`);
  }
}

/** RespondToAuthChallenge and AdminRespondToAuthChallenge. */
export async function respondToAuthChallenge(
  app: App,
  caller: Caller,
  challenge: ChallengeNameType,
  responses: Record<string, string> | undefined,
  session: string | undefined,
  /** The call's ClientMetadata, for the triggers that end the sign-in (triggers/client-metadata.ts). */
  clientMetadata?: Record<string, string>,
): Promise<AuthOutcome> {
  return withChallengeMetadata(clientMetadata, () => respondWithin(app, caller, challenge, responses, session));
}

async function respondWithin(
  app: App,
  caller: Caller,
  challenge: ChallengeNameType,
  responses: Record<string, string> | undefined,
  session: string | undefined,
): Promise<AuthOutcome> {
  const { pool, client } = await poolAndClient(app, caller);
  const r = responses ?? {};
  const step = { kind: 'respond' as const, challenge, username: r.USERNAME, session, responses: r };
  return trackSignIn(app, pool, client, caller.origin, step, () => dispatchChallenge(app, pool, client, challenge, r, session));
}

async function dispatchChallenge(
  app: App,
  pool: UserPool,
  client: AppClient,
  challenge: ChallengeNameType,
  r: Record<string, string>,
  session: string | undefined,
): Promise<AuthOutcome> {
  switch (challenge) {
    case 'CUSTOM_CHALLENGE':
      return respondCustomChallenge(app, pool, client, r, session);
    case 'NEW_PASSWORD_REQUIRED':
      return respondNewPassword(app, pool, client, r, session);
    case 'PASSWORD_VERIFIER':
      return respondPasswordVerifier(app, pool, client, r);
    case 'DEVICE_SRP_AUTH':
      return respondDeviceSrpAuth(app, pool, client, r, session);
    case 'DEVICE_PASSWORD_VERIFIER':
      return respondDevicePasswordVerifier(app, pool, client, r, session);
    case 'SMS_MFA':
    case 'SOFTWARE_TOKEN_MFA':
    case 'SELECT_MFA_TYPE':
    case 'MFA_SETUP':
      return respondMfa(app, pool, client, challenge, r, session);
    case 'SMS_OTP':
      return respondFirstFactorOtp(app, pool, client, challenge, r, session);
    case 'SELECT_CHALLENGE':
    case 'PASSWORD':
    case 'PASSWORD_SRP':
      return respondSelectChallenge(app, pool, client, challenge, r, session);
    case 'WEB_AUTHN': {
      // By name with the SELECT_CHALLENGE session it is that choice; with its own, the assertion.
      const record = session ? await app.store.sessions.get(sessionId(session)) : undefined;
      if ((record?.data as { challenge?: string } | undefined)?.challenge === 'SELECT_CHALLENGE') {
        return respondSelectChallenge(app, pool, client, challenge, r, session);
      }
      return respondWebAuthn(app, pool, client, r, session);
    }
    case 'EMAIL_OTP': {
      // EMAIL_OTP is both a second factor (mfa/challenges.ts) and a first factor of USER_AUTH
      // (mfa/user-auth.ts): the stored session says which.
      const record = session ? await app.store.sessions.get(sessionId(session)) : undefined;
      if ((record?.data as { challenge?: string } | undefined)?.challenge === 'USER_AUTH_OTP') {
        return respondFirstFactorOtp(app, pool, client, challenge, r, session);
      }
      return respondMfa(app, pool, client, challenge, r, session);
    }
    default:
      throw invalidParameter(`Tobira does not support the ${challenge} challenge yet.`);
  }
}
