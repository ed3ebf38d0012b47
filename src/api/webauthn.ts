import type { Handlers } from './context.ts';
import { tokenCall } from '../domain/self-service/client.ts';
import { getUserAuthFactors } from '../domain/mfa/user-auth.ts';
import {
  completeWebAuthnRegistration,
  deleteWebAuthnCredential,
  listWebAuthnCredentials,
  startWebAuthnRegistration,
} from '../domain/mfa/webauthn.ts';

/** Passkeys and the user's choice-based sign-in factors; all authorized by the user's access token. */
export const webAuthnHandlers: Handlers = {
  async StartWebAuthnRegistration(input, ctx) {
    const { pool, client, user } = await tokenCall(ctx.app, input.AccessToken);
    return startWebAuthnRegistration(ctx.app, pool, client, user);
  },

  async CompleteWebAuthnRegistration(input, ctx) {
    const { pool, client, user } = await tokenCall(ctx.app, input.AccessToken);
    await completeWebAuthnRegistration(ctx.app, pool, client, user, input.Credential);
    return {};
  },

  async ListWebAuthnCredentials(input, ctx) {
    const { pool, user } = await tokenCall(ctx.app, input.AccessToken);
    return listWebAuthnCredentials(ctx.app, pool, user, input.MaxResults, input.NextToken);
  },

  async DeleteWebAuthnCredential(input, ctx) {
    const { pool, user } = await tokenCall(ctx.app, input.AccessToken);
    await deleteWebAuthnCredential(ctx.app, pool, user, input.CredentialId);
    return {};
  },

  async GetUserAuthFactors(input, ctx) {
    const { pool, user } = await tokenCall(ctx.app, input.AccessToken);
    return getUserAuthFactors(ctx.app, pool, user);
  },
};
