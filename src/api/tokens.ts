import type { Handlers } from './context.ts';
import { getClient } from '../domain/app-clients.ts';
import { CognitoError } from '../errors.ts';
import { refreshTokens } from '../domain/refresh-tokens.ts';
import { revokeRefreshToken } from '../domain/revocation.ts';
import { adminUserGlobalSignOut, changePassword, getUserByToken, globalSignOut } from '../domain/token-operations.ts';
import { timingSafeEqual } from 'node:crypto';

/** The token-authenticated operations and the refresh-token ones (GetTokensFromRefreshToken, RevokeToken). */
export const tokenHandlers: Handlers = {
  async GetUser(input, ctx) {
    return getUserByToken(ctx.app, input.AccessToken);
  },

  async ChangePassword(input, ctx) {
    await changePassword(ctx.app, input.AccessToken, input.PreviousPassword, input.ProposedPassword);
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
    const client = await getClient(ctx.app.store, input.ClientId);
    if (client.clientSecret !== null) {
      const given = Buffer.from(input.ClientSecret ?? '');
      const expected = Buffer.from(client.clientSecret);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw new CognitoError('NotAuthorizedException', `Unable to verify secret hash for client ${client.clientId}`);
      }
    }
    const result = await refreshTokens(ctx.app, client, input.RefreshToken, { deviceKey: input.DeviceKey });
    return { AuthenticationResult: result };
  },
};
