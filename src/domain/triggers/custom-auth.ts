import type { App } from '../../app.ts';
import type { ChallengeResult } from '../sign-in/sessions.ts';
import type { User, UserPool } from '../types.ts';
import { clientMetadataOf, eventUserAttributes, invalidLambdaResponse, invokeTrigger, triggerEvent, triggerFunction } from './invoke.ts';

/**
 * The three custom-authentication triggers (developer guide, "Custom authentication challenge
 * Lambda triggers" and its Define / Create / Verify pages; cognito-protocols.md §6.5, §7.2).
 * Each event carries the user's attributes and, when the client has PreventUserExistenceErrors
 * ENABLED, `userNotFound` ("This boolean is populated when PreventUserExistenceErrors is set to
 * ENABLED"). ClientMetadata reaches them only from (Admin)RespondToAuthChallenge.
 */
export interface ChallengeSubject {
  user: User | null;
  /** The internal username, or what was typed for an unknown user. */
  userName: string;
  /** Set (true or false) only when the client hides user existence. */
  userNotFound?: boolean;
  clientId: string;
}

function request(who: ChallengeSubject, own: Record<string, unknown>, clientMetadata?: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = { userAttributes: who.user ? eventUserAttributes(who.user) : {}, ...own };
  const metadata = clientMetadataOf(clientMetadata);
  if (metadata) out.clientMetadata = metadata;
  if (who.userNotFound !== undefined) out.userNotFound = who.userNotFound;
  return out;
}

const stringMap = (value: unknown): Record<string, string> | null => {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') return null;
    out[k] = v;
  }
  return out;
};

export interface DefineAnswer {
  challengeName: string | null;
  issueTokens: boolean;
  failAuthentication: boolean;
}

/** DefineAuthChallenge_Authentication: what comes next, given the rounds so far. */
export async function defineAuthChallenge(
  app: App,
  pool: UserPool,
  who: ChallengeSubject,
  session: ChallengeResult[],
  clientMetadata?: Record<string, string>,
): Promise<DefineAnswer> {
  const fn = triggerFunction(pool, 'DefineAuthChallenge')!;
  const event = triggerEvent(pool, {
    triggerSource: 'DefineAuthChallenge_Authentication',
    userName: who.userName,
    clientId: who.clientId,
    request: request(who, { session }, clientMetadata),
    // Cognito pre-fills the answer's fields with null / false (cognito-protocols.md §7.1).
    response: { challengeName: null, issueTokens: false, failAuthentication: false },
  });
  const answer = await invokeTrigger(app, 'DefineAuthChallenge', fn, event);
  const r = (answer.response ?? {}) as Record<string, unknown>;
  if (r.challengeName !== undefined && r.challengeName !== null && typeof r.challengeName !== 'string') throw invalidLambdaResponse();
  return {
    challengeName: (r.challengeName as string | null | undefined) ?? null,
    issueTokens: r.issueTokens === true,
    failAuthentication: r.failAuthentication === true,
  };
}

export interface CreatedChallenge {
  publicChallengeParameters: Record<string, string>;
  privateChallengeParameters: Record<string, string>;
  challengeMetadata: string | null;
}

/**
 * CreateAuthChallenge_Authentication: the challenge to show. Parameter values must be strings
 * (they become the API's ChallengeParameters, a map of strings); anything else is an answer
 * Cognito cannot read.
 */
export async function createAuthChallenge(
  app: App,
  pool: UserPool,
  who: ChallengeSubject,
  challengeName: string,
  session: ChallengeResult[],
  clientMetadata?: Record<string, string>,
): Promise<CreatedChallenge> {
  const fn = triggerFunction(pool, 'CreateAuthChallenge');
  // What Cognito answers for a pool with DefineAuthChallenge but no CreateAuthChallenge is not
  // documented; Tobira treats it as an answer it cannot act on.
  if (!fn) throw invalidLambdaResponse();
  const event = triggerEvent(pool, {
    triggerSource: 'CreateAuthChallenge_Authentication',
    userName: who.userName,
    clientId: who.clientId,
    request: request(who, { challengeName, session }, clientMetadata),
    response: { publicChallengeParameters: null, privateChallengeParameters: null, challengeMetadata: null },
  });
  const answer = await invokeTrigger(app, 'CreateAuthChallenge', fn, event);
  const r = (answer.response ?? {}) as Record<string, unknown>;
  const publicChallengeParameters = stringMap(r.publicChallengeParameters);
  const privateChallengeParameters = stringMap(r.privateChallengeParameters);
  if (!publicChallengeParameters || !privateChallengeParameters) throw invalidLambdaResponse();
  if (r.challengeMetadata !== undefined && r.challengeMetadata !== null && typeof r.challengeMetadata !== 'string') throw invalidLambdaResponse();
  return { publicChallengeParameters, privateChallengeParameters, challengeMetadata: (r.challengeMetadata as string | null | undefined) ?? null };
}

/** VerifyAuthChallengeResponse_Authentication: whether the answer is right. */
export async function verifyAuthChallengeResponse(
  app: App,
  pool: UserPool,
  who: ChallengeSubject,
  privateChallengeParameters: Record<string, string>,
  challengeAnswer: string,
  clientMetadata?: Record<string, string>,
): Promise<boolean> {
  const fn = triggerFunction(pool, 'VerifyAuthChallengeResponse');
  if (!fn) throw invalidLambdaResponse();
  const event = triggerEvent(pool, {
    triggerSource: 'VerifyAuthChallengeResponse_Authentication',
    userName: who.userName,
    clientId: who.clientId,
    request: request(who, { privateChallengeParameters, challengeAnswer }, clientMetadata),
    response: { answerCorrect: false },
  });
  const answer = await invokeTrigger(app, 'VerifyAuthChallengeResponse', fn, event);
  return (answer.response as Record<string, unknown> | null | undefined)?.answerCorrect === true;
}
