import type { Handlers } from './context.ts';
import {
  createIdentityProvider,
  deleteIdentityProvider,
  describeIdentityProvider,
  getIdentityProvider,
  providerByIdentifier,
  updateIdentityProvider,
} from '../domain/federation/identity-providers.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';

export const identityProviderHandlers: Handlers = {
  async CreateIdentityProvider(input, ctx) {
    return { IdentityProvider: describeIdentityProvider(await createIdentityProvider(ctx.app, input)) };
  },

  async DescribeIdentityProvider(input, ctx) {
    return { IdentityProvider: describeIdentityProvider(await getIdentityProvider(ctx.app.store, input.UserPoolId, input.ProviderName)) };
  },

  async UpdateIdentityProvider(input, ctx) {
    return { IdentityProvider: describeIdentityProvider(await updateIdentityProvider(ctx.app, input)) };
  },

  async DeleteIdentityProvider(input, ctx) {
    await deleteIdentityProvider(ctx.app, input.UserPoolId, input.ProviderName);
    return {};
  },

  /** In name order, summaries only (no details or mapping), paged by the last name. */
  async ListIdentityProviders(input, ctx) {
    await getPool(ctx.app.store, input.UserPoolId);
    const max = input.MaxResults || 60;
    const providers = await ctx.app.store.identityProviders.list(input.UserPoolId, decodeToken(input.NextToken), max + 1);
    const page = providers.slice(0, max);
    return {
      Providers: page.map((p) => ({
        ProviderName: p.providerName,
        ProviderType: p.providerType,
        LastModifiedDate: p.updatedAt / 1000,
        CreationDate: p.createdAt / 1000,
      })),
      ...(providers.length > max ? { NextToken: encodeToken(page[page.length - 1].providerName) } : {}),
    };
  },

  async GetIdentityProviderByIdentifier(input, ctx) {
    return { IdentityProvider: describeIdentityProvider(await providerByIdentifier(ctx.app.store, input.UserPoolId, input.IdpIdentifier)) };
  },
};
