import type { App } from '../../app.ts';
import { invalidParameter, notAuthorized } from '../../errors.ts';
import type { AuthenticationResultType, ChallengeNameType } from '../../generated/cognito-idp.ts';
import { issueTokens } from '../tokens/tokens.ts';
import type { AppClient, User, UserPool } from '../types.ts';
import type { SignInContext } from './sign-in.ts';

/** What InitiateAuth and RespondToAuthChallenge (and their Admin forms) answer. */
export interface AuthOutcome {
  ChallengeName?: ChallengeNameType;
  Session?: string;
  ChallengeParameters: Record<string, string>;
  AuthenticationResult?: AuthenticationResultType;
}

/** The answer to a wrong password or proof, and to an unknown user when existence is hidden. */
export const incorrectCredentials = () => notAuthorized('Incorrect username or password.');

/** A named value of AuthParameters / ChallengeResponses, or Cognito's "Missing required parameter X". */
export function requireParam(params: Record<string, string> | undefined, name: string): string {
  const value = params?.[name];
  if (value === undefined || value === '') throw invalidParameter(`Missing required parameter ${name}`);
  return value;
}

/**
 * The end of a sign-in: tokens, with `"ChallengeParameters": {}` beside them as Cognito sends
 * (seeds 002 and 004). Called after the sign-in's own transaction has committed.
 */
export async function tokensOutcome(app: App, pool: UserPool, client: AppClient, user: User, _ctx: SignInContext = {}): Promise<AuthOutcome> {
  const result = await issueTokens(app, app.store, { pool, client, user, authTime: app.clock.now(), withRefreshToken: true });
  return { ChallengeParameters: {}, AuthenticationResult: result };
}
