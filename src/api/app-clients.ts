import type { Handlers } from './context.ts';
import {
  createClient,
  deleteClient,
  describeClient,
  getPoolClient,
  updateClient,
} from '../domain/pools/app-clients.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';

export const appClientHandlers: Handlers = {
  async CreateUserPoolClient(input, ctx) {
    return { UserPoolClient: describeClient(await createClient(ctx.app, input)) };
  },

  async DescribeUserPoolClient(input, ctx) {
    return { UserPoolClient: describeClient(await getPoolClient(ctx.app.store, input.UserPoolId, input.ClientId)) };
  },

  async UpdateUserPoolClient(input, ctx) {
    return { UserPoolClient: describeClient(await updateClient(ctx.app, input)) };
  },

  async DeleteUserPoolClient(input, ctx) {
    await deleteClient(ctx.app, input.UserPoolId, input.ClientId);
    return {};
  },

  /** Pages in client id order; the list shows id, pool and name only, never the secret. */
  async ListUserPoolClients(input, ctx) {
    await getPool(ctx.app.store, input.UserPoolId);
    const max = input.MaxResults ?? 60;
    const clients = await ctx.app.store.clients.list(input.UserPoolId, decodeToken(input.NextToken), max + 1);
    const page = clients.slice(0, max);
    return {
      UserPoolClients: page.map((c) => ({ ClientId: c.clientId, UserPoolId: c.poolId, ClientName: c.config.ClientName })),
      ...(clients.length > max ? { NextToken: encodeToken(page[page.length - 1].clientId) } : {}),
    };
  },
};
