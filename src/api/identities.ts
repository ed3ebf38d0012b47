import type { IdentityHandlers } from './context.ts';
import {
  deleteIdentities,
  describeIdentity,
  getId,
  getIdentity,
  getOpenIdToken,
  listIdentities,
  unlinkIdentity,
} from '../domain/identity/identities.ts';
import {
  getOpenIdTokenForDeveloperIdentity,
  lookupDeveloperIdentity,
  mergeDeveloperIdentities,
  unlinkDeveloperIdentity,
} from '../domain/identity/developer-identities.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';

/** cognito-identity's identities: GetId and OpenID tokens (public), developer identities and administration (IAM-signed). */
export const identityOperationHandlers: IdentityHandlers = {
  async GetId(input, ctx) {
    return { IdentityId: await getId(ctx.app, input.IdentityPoolId, input.Logins) };
  },

  async GetOpenIdToken(input, ctx) {
    return getOpenIdToken(ctx.app, input.IdentityId, input.Logins);
  },

  async GetOpenIdTokenForDeveloperIdentity(input, ctx) {
    return getOpenIdTokenForDeveloperIdentity(ctx.app, input);
  },

  async LookupDeveloperIdentity(input, ctx) {
    return lookupDeveloperIdentity(ctx.app, input);
  },

  async MergeDeveloperIdentities(input, ctx) {
    return { IdentityId: await mergeDeveloperIdentities(ctx.app, input) };
  },

  async UnlinkDeveloperIdentity(input, ctx) {
    await unlinkDeveloperIdentity(ctx.app, input);
    return {};
  },

  async UnlinkIdentity(input, ctx) {
    await unlinkIdentity(ctx.app, input.IdentityId, input.Logins, input.LoginsToRemove);
    return {};
  },

  async ListIdentities(input, ctx) {
    const { identities, lastId } = await listIdentities(ctx.app, input.IdentityPoolId, decodeToken(input.NextToken), input.MaxResults, input.HideDisabled ?? false);
    return { IdentityPoolId: input.IdentityPoolId, Identities: identities, ...(lastId ? { NextToken: encodeToken(lastId) } : {}) };
  },

  async DescribeIdentity(input, ctx) {
    return describeIdentity(await getIdentity(ctx.app, input.IdentityId));
  },

  async DeleteIdentities(input, ctx) {
    return { UnprocessedIdentityIds: await deleteIdentities(ctx.app, input.IdentityIdsToDelete) };
  },
};
