import type { App } from '../../app.ts';
import { redeemRefreshToken, refreshTokens } from '../tokens/refresh-tokens.ts';
import type { AppClient, UserPool } from '../types.ts';
import { type AuthOutcome, requireParam } from './result.ts';
import { checkSecretHash, requireSecretHashSent } from './secret-hash.ts';

/**
 * REFRESH_TOKEN_AUTH / REFRESH_TOKEN: new ID and access tokens for a refresh token of this
 * client (the tokens feature checks and redeems it). A client with a secret must send a
 * SECRET_HASH made with the user's internal username, which no request field carries: for
 * email-username pools it is the sub (cognito-protocols.md §5; boto3#2736). Cognito words that
 * mismatch differently on this path (aws-sdk-net-extensions-cognito#94, #122, 2022-2023).
 */
export async function refreshSignIn(app: App, pool: UserPool, client: AppClient, params: Record<string, string>): Promise<AuthOutcome> {
  const token = requireParam(params, 'REFRESH_TOKEN');
  requireSecretHashSent(client, params.SECRET_HASH);
  if (client.clientSecret !== null) {
    const { user } = await redeemRefreshToken(app, app.store, client, token, pool);
    checkSecretHash(client, [user.username], params.SECRET_HASH, `SecretHash does not match for the client: ${client.clientId}`);
  }
  const result = await refreshTokens(app, client, token, { deviceKey: params.DEVICE_KEY, pool });
  return { ChallengeParameters: {}, AuthenticationResult: result };
}
