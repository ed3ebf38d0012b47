import type { Handlers } from './context.ts';
import { invalidParameter, resourceNotFound } from '../errors.ts';
import {
  addCustomAttributes,
  createUserPool,
  deleteUserPool,
  describePool,
  getPool,
  updateUserPool,
} from '../domain/user-pools.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';
import type { App } from '../app.ts';

/** The pool id named by a user pool ARN, checked against this account. */
async function poolFromArn(app: App, arn: string) {
  const m = arn.match(/^arn:aws:cognito-idp:([a-z0-9-]+):(\d+):userpool\/([\w-]+_[0-9a-zA-Z]+)$/);
  if (!m) throw invalidParameter(`Invalid ARN: ${arn}`);
  const pool = await app.store.pools.get(m[3]);
  if (!pool || pool.region !== m[1] || m[2] !== app.config.accountId) throw resourceNotFound(`Resource ${arn} does not exist.`);
  return pool;
}

export const userPoolHandlers: Handlers = {
  async CreateUserPool(input, ctx) {
    const pool = await createUserPool(ctx.app, ctx.region, input);
    return { UserPool: await describePool(ctx.app, pool) };
  },

  async DescribeUserPool(input, ctx) {
    const pool = await getPool(ctx.app.store, input.UserPoolId);
    return { UserPool: await describePool(ctx.app, pool) };
  },

  async ListUserPools(input, ctx) {
    const after = decodeToken(input.NextToken);
    const pools = await ctx.app.store.pools.list(ctx.region, after, input.MaxResults + 1);
    const page = pools.slice(0, input.MaxResults);
    return {
      UserPools: page.map((p) => ({
        Id: p.id,
        Name: p.name,
        LambdaConfig: p.config.LambdaConfig ?? {},
        LastModifiedDate: p.updatedAt / 1000,
        CreationDate: p.createdAt / 1000,
      })),
      ...(pools.length > input.MaxResults ? { NextToken: encodeToken(page[page.length - 1].id) } : {}),
    };
  },

  async UpdateUserPool(input, ctx) {
    await updateUserPool(ctx.app, input);
    return {};
  },

  async DeleteUserPool(input, ctx) {
    await deleteUserPool(ctx.app, input.UserPoolId);
    return {};
  },

  async AddCustomAttributes(input, ctx) {
    await addCustomAttributes(ctx.app, input.UserPoolId, input.CustomAttributes);
    return {};
  },

  async TagResource(input, ctx) {
    await ctx.app.store.tx(async (s) => {
      const pool = await poolFromArn(ctx.app, input.ResourceArn);
      const fresh = await getPool(s, pool.id);
      fresh.config.UserPoolTags = { ...fresh.config.UserPoolTags, ...input.Tags };
      if (Object.keys(fresh.config.UserPoolTags).length > 50) throw invalidParameter('A user pool can have at most 50 tags.');
      await s.pools.update(fresh);
    });
    return {};
  },

  async UntagResource(input, ctx) {
    await ctx.app.store.tx(async (s) => {
      const pool = await poolFromArn(ctx.app, input.ResourceArn);
      const fresh = await getPool(s, pool.id);
      const tags = { ...fresh.config.UserPoolTags };
      for (const k of input.TagKeys) delete tags[k];
      fresh.config.UserPoolTags = tags;
      await s.pools.update(fresh);
    });
    return {};
  },

  async ListTagsForResource(input, ctx) {
    const pool = await poolFromArn(ctx.app, input.ResourceArn);
    return { Tags: pool.config.UserPoolTags ?? {} };
  },
};
