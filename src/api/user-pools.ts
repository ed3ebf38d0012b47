import type { Handlers } from './context.ts';
import { invalidParameter, poolNotFound } from '../errors.ts';
import {
  addCustomAttributes,
  changeTags,
  createUserPool,
  deleteUserPool,
  describePool,
  getPool,
  updateUserPool,
} from '../domain/pools/user-pools.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';
import type { App } from '../app.ts';

/**
 * The pool named by a user pool ARN. Tags live on pools only; an ARN of another kind is a bad
 * parameter, and one for another account or region names no pool of ours.
 */
async function poolIdFromArn(app: App, arn: string): Promise<string> {
  const m = arn.match(/^arn:aws:cognito-idp:([a-z0-9-]+):(\d{12}):userpool\/([\w-]+_[0-9a-zA-Z]+)$/);
  if (!m) throw invalidParameter(`Invalid ARN: ${arn} is not the ARN of a user pool.`);
  const [, region, account, poolId] = m;
  const pool = await app.store.pools.get(poolId);
  if (!pool || pool.region !== region || account !== app.config.accountId) throw poolNotFound(poolId);
  return poolId;
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

  /** Pools of the caller's region only, as in AWS; NextToken is the last id of the page. */
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
    const poolId = await poolIdFromArn(ctx.app, input.ResourceArn);
    await changeTags(ctx.app, poolId, (tags) => Object.assign(tags, input.Tags));
    return {};
  },

  async UntagResource(input, ctx) {
    const poolId = await poolIdFromArn(ctx.app, input.ResourceArn);
    await changeTags(ctx.app, poolId, (tags) => {
      for (const k of input.TagKeys) delete tags[k];
    });
    return {};
  },

  async ListTagsForResource(input, ctx) {
    const poolId = await poolIdFromArn(ctx.app, input.ResourceArn);
    const pool = await getPool(ctx.app.store, poolId);
    return { Tags: pool.config.UserPoolTags ?? {} };
  },
};
