import type { Handlers } from './context.ts';
import { createDomain, deleteDomain, describeDomain, domainResult, updateDomain } from '../domain/pools/domains.ts';

export const domainHandlers: Handlers = {
  async CreateUserPoolDomain(input, ctx) {
    return domainResult(await createDomain(ctx.app, ctx.region, input));
  },

  /** An unknown domain is answered with an empty description, not an error, as Cognito does. */
  async DescribeUserPoolDomain(input, ctx) {
    const d = await ctx.app.store.domains.get(ctx.region, input.Domain);
    return { DomainDescription: d ? describeDomain(ctx.app, d) : {} };
  },

  async UpdateUserPoolDomain(input, ctx) {
    return domainResult(await updateDomain(ctx.app, ctx.region, input));
  },

  async DeleteUserPoolDomain(input, ctx) {
    await deleteDomain(ctx.app, ctx.region, input.UserPoolId, input.Domain);
    return {};
  },
};
