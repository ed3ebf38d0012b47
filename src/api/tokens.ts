import type { Handlers } from './context.ts';
import { getClientAndPool } from '../domain/pools/app-clients.ts';
import { notAuthorized } from '../errors.ts';
import { refreshTokens } from '../domain/tokens/refresh-tokens.ts';
import { clientSecretMatches, revokeRefreshToken } from '../domain/tokens/revocation.ts';
import { adminUserGlobalSignOut, changePassword, getUserByToken, globalSignOut } from '../domain/tokens/token-operations.ts';

/** The token-authenticated operations and the refresh-token ones (GetTokensFromRefreshToken, RevokeToken). */
export const tokenHandlers: Handlers = {
  async GetUser(input, ctx) {
    return getUserByToken(ctx.app, input.AccessToken);
  },

  async ChangePassword(input, ctx) {
    await changePassword(ctx.app, input.AccessToken, input.PreviousPassword, input.ProposedPassword, ctx.origin);
    return {};
  },

  async GlobalSignOut(input, ctx) {
    await globalSignOut(ctx.app, input.AccessToken);
    return {};
  },

  async AdminUserGlobalSignOut(input, ctx) {
    await adminUserGlobalSignOut(ctx.app, input.UserPoolId, input.Username);
    return {};
  },

  async RevokeToken(input, ctx) {
    await revokeRefreshToken(ctx.app, input.ClientId, input.Token, input.ClientSecret);
    return {};
  },

  async GetTokensFromRefreshToken(input, ctx) {
    const { client, pool } = await getClientAndPool(ctx.app.store, input.ClientId);
    // The texts mirror Cognito's SECRET_HASH ones; none for ClientSecret is in our sources.
    if (client.clientSecret !== null && input.ClientSecret === undefined) {
      throw notAuthorized(`Client ${client.clientId} is configured with secret but ClientSecret was not received`);
    }
    if (client.clientSecret !== null && !clientSecretMatches(client, input.ClientSecret)) {
      throw notAuthorized(`Unable to verify client secret for client ${client.clientId}`);
    }
    const result = await refreshTokens(ctx.app, client, input.RefreshToken, { deviceKey: input.DeviceKey, pool });
    return { AuthenticationResult: result };
  },
};
