import type { App } from '../../app.ts';
import { invalidParameter, userNotFound } from '../../errors.ts';
import { mfaChallenge } from '../mfa/challenges.ts';
import { preventUserExistenceErrors } from '../pools/app-clients.ts';
import { createAuthChallenge, defineAuthChallenge, verifyAuthChallengeResponse, type ChallengeSubject } from '../triggers/custom-auth.ts';
import { challengeMetadata } from '../triggers/client-metadata.ts';
import { invalidLambdaResponse, triggerFunction } from '../triggers/invoke.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import { findUser } from '../users/users.ts';
import { type AuthOutcome, incorrectCredentials, requireParam, tokensOutcome } from './result.ts';
import { checkSecretHash } from './secret-hash.ts';
import { type ChallengeResult, type CustomAuthProgress, consumeSession, findSession, invalidSession, openSession } from './sessions.ts';
import { finishSignIn, type SignInContext } from './sign-in.ts';
import { startSrp } from './srp.ts';
import { checkUserCanSignIn } from './user-state.ts';

/**
 * The CUSTOM_AUTH flow (cognito-protocols.md §4.7, §6.5): DefineAuthChallenge decides each step
 * from the rounds so far; CUSTOM_CHALLENGE rounds are made by CreateAuthChallenge and judged by
 * VerifyAuthChallengeResponse; with `CHALLENGE_NAME: SRP_A` the password is proved first
 * (PASSWORD_VERIFIER, sign-in/srp.ts), and DefineAuthChallenge sees it as a round. The rounds
 * live in the challenge session (sessions.ts), so any node can take the next answer.
 */

/**
 * How many rounds one sign-in may take. Cognito publishes no figure (its developer guide only says
 * the loop "repeats until all challenges are answered"); this bound keeps a DefineAuthChallenge
 * that never decides from holding a sign-in open forever. A further challenge asked for after it
 * fails the sign-in as a failAuthentication does; tokens may still be issued after the last round.
 */
export const MAX_CUSTOM_ROUNDS = 20;

/** Cognito's text for CUSTOM_AUTH on a pool without the trigger (observed in public client code). */
const notConfigured = () => invalidParameter('Custom auth lambda trigger is not configured for the user pool.');

function subject(client: AppClient, user: User | null, typed: string, userNotFound?: boolean): ChallengeSubject {
  return {
    user,
    userName: user?.username ?? typed,
    clientId: client.clientId,
    ...(preventUserExistenceErrors(client) === 'ENABLED' ? { userNotFound: userNotFound ?? !user } : {}),
  };
}

/**
 * InitiateAuth / AdminInitiateAuth with AuthFlow CUSTOM_AUTH. AuthParameters: USERNAME, and for
 * a password check first CHALLENGE_NAME SRP_A with SRP_A. An unknown user is UserNotFoundException,
 * or, when the client hides user existence, goes through the triggers with `userNotFound: true`
 * and can never be issued tokens. InitiateAuth's ClientMetadata does not reach these triggers.
 */
export async function initiateCustomAuth(app: App, pool: UserPool, client: AppClient, params: Record<string, string>): Promise<AuthOutcome> {
  const username = requireParam(params, 'USERNAME');
  checkSecretHash(client, [username], params.SECRET_HASH);
  if (!triggerFunction(pool, 'DefineAuthChallenge')) throw notConfigured();
  const srp = params.CHALLENGE_NAME === 'SRP_A';
  if (srp) requireParam(params, 'SRP_A');
  const user = (await findUser(app.store, pool, username)) ?? null;
  if (!user && preventUserExistenceErrors(client) !== 'ENABLED') throw userNotFound();
  if (user) checkUserCanSignIn(client, user, { passwordless: !srp });
  const who = subject(client, user, username);
  const ctx: SignInContext = { deviceKey: params.DEVICE_KEY || undefined, firstFactor: 'CUSTOM_CHALLENGE' };
  // The developer guide's SRP-first sequence: "an initial session that contains challengeName: SRP_A and challengeResult: true".
  const rounds: ChallengeResult[] = srp ? [{ challengeName: 'SRP_A', challengeResult: true, challengeMetadata: null }] : [];
  return nextStep(app, pool, client, who, { userName: who.userName, rounds, ctx, ...userNotFoundFlag(who) }, undefined, srp ? params : undefined);
}

const userNotFoundFlag = (who: ChallengeSubject) => (who.userNotFound ? { userNotFound: true } : {});

/**
 * One turn of the loop: DefineAuthChallenge, then its decision. `srpParams` is set only right
 * after InitiateAuth with SRP_A, the one place PASSWORD_VERIFIER may be asked for.
 */
async function nextStep(
  app: App,
  pool: UserPool,
  client: AppClient,
  who: ChallengeSubject,
  progress: CustomAuthProgress,
  clientMetadata?: Record<string, string>,
  srpParams?: Record<string, string>,
): Promise<AuthOutcome> {
  const decision = await defineAuthChallenge(app, pool, who, progress.rounds, clientMetadata);
  // failAuthentication is answered like a wrong password (aws-amplify/amplify-js#5834, #8145).
  if (decision.failAuthentication) throw incorrectCredentials();
  if (decision.issueTokens) {
    if (!who.user) throw incorrectCredentials();
    const user = await app.store.users.get(pool.id, who.user.usernameKey);
    if (!user) throw incorrectCredentials();
    checkUserCanSignIn(client, user, { passwordless: true });
    // No MFA here: Cognito applies MFA only after a PASSWORD_VERIFIER round, and then straight
    // after it (see afterCustomPassword), not after the custom rounds ("MFA is not supported when
    // using passwordless authentication flows within a Custom Auth Flow, as MFA generation is
    // dependent on the password verifier challenge": the Cognito team in aws-amplify/amplify-js#12887).
    return tokensOutcome(app, pool, client, user, progress.ctx ?? {});
  }
  switch (decision.challengeName) {
    case 'PASSWORD_VERIFIER':
      if (!srpParams) throw invalidLambdaResponse();
      // Cognito answers with the plain PASSWORD_VERIFIER challenge (SALT, SRP_B, SECRET_BLOCK ...),
      // not a CUSTOM_CHALLENGE, and does not call CreateAuthChallenge (cognito-protocols.md §4.7).
      return startSrp(app, pool, client, srpParams, progress);
    case 'CUSTOM_CHALLENGE': {
      if (progress.rounds.length >= MAX_CUSTOM_ROUNDS) throw incorrectCredentials();
      const created = await createAuthChallenge(app, pool, who, 'CUSTOM_CHALLENGE', progress.rounds, clientMetadata);
      const session = await openSession(app, app.store, {
        pool,
        client,
        usernameKey: who.user?.usernameKey ?? null,
        state: {
          challenge: 'CUSTOM_CHALLENGE',
          ...progress,
          privateChallengeParameters: created.privateChallengeParameters,
          challengeMetadata: created.challengeMetadata,
        },
      });
      // The answer names the user (USERNAME), as Cognito's CUSTOM_CHALLENGE answers do; clients send it back.
      return { ChallengeName: 'CUSTOM_CHALLENGE', Session: session, ChallengeParameters: { ...created.publicChallengeParameters, USERNAME: who.userName } };
    }
    default:
      // Tobira runs CUSTOM_CHALLENGE rounds and the SRP password check; another name is an answer it cannot act on.
      throw invalidLambdaResponse();
  }
}

/**
 * RespondToAuthChallenge CUSTOM_CHALLENGE: ChallengeResponses USERNAME and ANSWER with the
 * Session. The session is used up before VerifyAuthChallengeResponse runs; its verdict becomes a
 * round, and DefineAuthChallenge decides again (a retry is a new round with a new Session).
 */
export async function respondCustomChallenge(
  app: App,
  pool: UserPool,
  client: AppClient,
  responses: Record<string, string>,
  session: string | undefined,
  clientMetadata: Record<string, string> | undefined = challengeMetadata(),
): Promise<AuthOutcome> {
  const username = requireParam(responses, 'USERNAME');
  const answer = requireParam(responses, 'ANSWER');
  const record = await findSession(app, app.store, client, session, 'CUSTOM_CHALLENGE');
  const state = record.data;
  if (state.challenge !== 'CUSTOM_CHALLENGE') throw invalidSession();
  checkSecretHash(client, [username, state.userName], responses.SECRET_HASH);
  if (username !== state.userName) {
    const named = await findUser(app.store, pool, username);
    if (!named || named.usernameKey !== record.usernameKey) throw invalidSession();
  }
  await app.store.tx((s) => consumeSession(app, s, record));
  const user = record.usernameKey ? await app.store.users.get(pool.id, record.usernameKey) : undefined;
  if (record.usernameKey && !user) throw incorrectCredentials();
  if (user) checkUserCanSignIn(client, user, { passwordless: true });
  const who = subject(client, user ?? null, state.userName, state.userNotFound);
  const correct = await verifyAuthChallengeResponse(app, pool, who, state.privateChallengeParameters, answer, clientMetadata);
  const progress: CustomAuthProgress = {
    userName: state.userName,
    rounds: [...state.rounds, { challengeName: 'CUSTOM_CHALLENGE', challengeResult: correct, challengeMetadata: state.challengeMetadata }],
    ...(state.ctx ? { ctx: state.ctx } : {}),
    ...(state.userNotFound ? { userNotFound: true } : {}),
  };
  return nextStep(app, pool, client, who, progress, clientMetadata);
}

/**
 * After a correct PASSWORD_VERIFIER inside CUSTOM_AUTH. Cognito runs the password's own
 * follow-ups at once and then issues tokens without asking DefineAuthChallenge again: a user on a
 * temporary password gets NEW_PASSWORD_REQUIRED (amazon-archives/amazon-cognito-identity-js#341),
 * a user with MFA gets the MFA challenge (aws-amplify/amplify-js#3876). Otherwise DefineAuthChallenge
 * sees `{challengeName: "PASSWORD_VERIFIER", challengeResult: true}` and goes on.
 */
export async function afterCustomPassword(
  app: App,
  pool: UserPool,
  client: AppClient,
  user: User,
  progress: CustomAuthProgress,
  ctx: SignInContext,
  clientMetadata: Record<string, string> | undefined = challengeMetadata(),
): Promise<AuthOutcome> {
  const merged: SignInContext = { ...progress.ctx, ...ctx, firstFactor: 'SRP' };
  if (user.status === 'FORCE_CHANGE_PASSWORD') return finishSignIn(app, pool, client, user, merged);
  const mfa = await mfaChallenge(app, pool, client, user, merged);
  if (mfa) return mfa;
  const who = subject(client, user, user.username);
  const next: CustomAuthProgress = {
    userName: user.username,
    rounds: [...progress.rounds, { challengeName: 'PASSWORD_VERIFIER', challengeResult: true, challengeMetadata: null }],
    ctx: merged,
  };
  return nextStep(app, pool, client, who, next, clientMetadata);
}
