import type { Handlers } from './context.ts';
import { createTerms, deleteTerms, describeTerms, getTerms, termsSummary, updateTerms } from '../domain/pools/terms.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';

export const termsHandlers: Handlers = {
  async CreateTerms(input, ctx) {
    return { Terms: describeTerms(await createTerms(ctx.app, input)) };
  },

  async DescribeTerms(input, ctx) {
    return { Terms: describeTerms(await getTerms(ctx.app.store, input.UserPoolId, input.TermsId)) };
  },

  async UpdateTerms(input, ctx) {
    return { Terms: describeTerms(await updateTerms(ctx.app, input)) };
  },

  async DeleteTerms(input, ctx) {
    await deleteTerms(ctx.app, input.UserPoolId, input.TermsId);
    return {};
  },

  /** Summaries in id order, paged by the last id. */
  async ListTerms(input, ctx) {
    await getPool(ctx.app.store, input.UserPoolId);
    const max = input.MaxResults || 60;
    const terms = await ctx.app.store.terms.list(input.UserPoolId, decodeToken(input.NextToken), max + 1);
    const page = terms.slice(0, max);
    return {
      Terms: page.map(termsSummary),
      ...(terms.length > max ? { NextToken: encodeToken(page[page.length - 1].termsId) } : {}),
    };
  },
};
