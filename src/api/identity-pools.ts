import type { IdentityHandlers } from './context.ts';
import {
  createIdentityPool,
  deleteIdentityPool,
  describeIdentityPool,
  getIdentityPool,
  poolByArn,
  setIdentityPoolRoles,
  tagIdentityPool,
  untagIdentityPool,
  updateIdentityPool,
} from '../domain/identity/identity-pools.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';

/** cognito-identity's administrative operations on identity pools. */
export const identityPoolHandlers: IdentityHandlers = {
  async CreateIdentityPool(input, ctx) {
    return describeIdentityPool(await createIdentityPool(ctx.app, ctx.region, input));
  },

  async DescribeIdentityPool(input, ctx) {
    return describeIdentityPool(await getIdentityPool(ctx.app.store, input.IdentityPoolId));
  },

  async UpdateIdentityPool(input, ctx) {
    return describeIdentityPool(await updateIdentityPool(ctx.app, input));
  },

  async DeleteIdentityPool(input, ctx) {
    await deleteIdentityPool(ctx.app, input.IdentityPoolId);
    return {};
  },

  /** The request region's pools in id order, paged by the last id. */
  async ListIdentityPools(input, ctx) {
    const max = input.MaxResults;
    const pools = await ctx.app.store.identityPools.list(ctx.region, decodeToken(input.NextToken), max + 1);
    const page = pools.slice(0, max);
    return {
      IdentityPools: page.map((p) => ({ IdentityPoolId: p.id, IdentityPoolName: p.name })),
      ...(pools.length > max ? { NextToken: encodeToken(page[page.length - 1].id) } : {}),
    };
  },

  async SetIdentityPoolRoles(input, ctx) {
    await setIdentityPoolRoles(ctx.app, input);
    return {};
  },

  async GetIdentityPoolRoles(input, ctx) {
    const pool = await getIdentityPool(ctx.app.store, input.IdentityPoolId);
    return {
      IdentityPoolId: pool.id,
      Roles: pool.roles,
      ...(Object.keys(pool.roleMappings).length > 0 ? { RoleMappings: pool.roleMappings } : {}),
    };
  },

  async TagResource(input, ctx) {
    await tagIdentityPool(ctx.app, input.ResourceArn, input.Tags);
    return {};
  },

  async UntagResource(input, ctx) {
    await untagIdentityPool(ctx.app, input.ResourceArn, input.TagKeys);
    return {};
  },

  async ListTagsForResource(input, ctx) {
    return { Tags: (await poolByArn(ctx.app, ctx.app.store, input.ResourceArn)).tags };
  },
};
