import type { IdentityHandlers } from './context.ts';
import { getCredentialsForIdentity } from '../domain/identity/credentials.ts';
import { getPrincipalTagAttributeMap, setPrincipalTagAttributeMap } from '../domain/identity/principal-tags.ts';

/** cognito-identity's credentials: GetCredentialsForIdentity and the principal tag attribute maps. */
export const credentialHandlers: IdentityHandlers = {
  async GetCredentialsForIdentity(input, ctx) {
    return getCredentialsForIdentity(ctx.app, input);
  },

  async SetPrincipalTagAttributeMap(input, ctx) {
    return setPrincipalTagAttributeMap(ctx.app, input);
  },

  async GetPrincipalTagAttributeMap(input, ctx) {
    return getPrincipalTagAttributeMap(ctx.app, input.IdentityPoolId, input.IdentityProviderName);
  },
};
