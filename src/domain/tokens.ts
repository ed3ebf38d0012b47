import type { App } from '../app.ts';
import type { AuthenticationResultType } from '../generated/cognito-idp.ts';
import type { Store } from '../store/store.ts';
import type { AppClient, User, UserPool } from './types.ts';

export interface IssueTokensArgs {
  pool: UserPool;
  client: AppClient;
  user: User;
  /** When the user authenticated (ms); refreshes keep the original sign-in's auth_time. */
  authTime: number;
  /** Issue a new refresh token (sign-in) or not (REFRESH_TOKEN_AUTH without rotation). */
  withRefreshToken: boolean;
  /** The origin_jti of the sign-in a refresh continues; a new one for a fresh sign-in. */
  originJti?: string;
}

/**
 * Signs the ID and access tokens (and stores a refresh token) for a completed sign-in.
 * Implemented by the sign-in and tokens issue.
 */
export async function issueTokens(_app: App, _store: Store, _args: IssueTokensArgs): Promise<AuthenticationResultType> {
  throw new Error('issueTokens is not implemented yet');
}
