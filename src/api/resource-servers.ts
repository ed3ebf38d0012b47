import type { Handlers } from './context.ts';
import {
  createResourceServer,
  deleteResourceServer,
  describeResourceServer,
  getResourceServer,
  updateResourceServer,
} from '../domain/pools/resource-servers.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';

export const resourceServerHandlers: Handlers = {
  async CreateResourceServer(input, ctx) {
    return { ResourceServer: describeResourceServer(await createResourceServer(ctx.app, input)) };
  },

  async DescribeResourceServer(input, ctx) {
    return { ResourceServer: describeResourceServer(await getResourceServer(ctx.app.store, input.UserPoolId, input.Identifier)) };
  },

  async UpdateResourceServer(input, ctx) {
    return { ResourceServer: describeResourceServer(await updateResourceServer(ctx.app, input)) };
  },

  async DeleteResourceServer(input, ctx) {
    await deleteResourceServer(ctx.app, input.UserPoolId, input.Identifier);
    return {};
  },

  /** In identifier order, paged by the last identifier; 50 a page at most (the model's range). */
  async ListResourceServers(input, ctx) {
    await getPool(ctx.app.store, input.UserPoolId);
    const max = input.MaxResults || 50;
    const servers = await ctx.app.store.resourceServers.list(input.UserPoolId, decodeToken(input.NextToken), max + 1);
    const page = servers.slice(0, max);
    return {
      ResourceServers: page.map(describeResourceServer),
      ...(servers.length > max ? { NextToken: encodeToken(page[page.length - 1].identifier) } : {}),
    };
  },
};
