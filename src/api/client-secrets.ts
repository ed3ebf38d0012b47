import type { Handlers } from './context.ts';
import { addClientSecret, deleteClientSecret, listClientSecrets } from '../domain/pools/client-secrets.ts';

/** Client secret rotation (domain/pools/client-secrets.ts). */
export const clientSecretHandlers: Handlers = {
  async AddUserPoolClientSecret(input, ctx) {
    return { ClientSecretDescriptor: await addClientSecret(ctx.app, input.UserPoolId, input.ClientId, input.ClientSecret) };
  },

  /** At most two secrets exist, so there is never a NextToken (Cognito's reference says the same). */
  async ListUserPoolClientSecrets(input, ctx) {
    return { ClientSecrets: await listClientSecrets(ctx.app, input.UserPoolId, input.ClientId) };
  },

  async DeleteUserPoolClientSecret(input, ctx) {
    await deleteClientSecret(ctx.app, input.UserPoolId, input.ClientId, input.ClientSecretId);
    return {};
  },
};
