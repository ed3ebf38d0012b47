import type { Handlers } from './context.ts';
import {
  addUserToGroup,
  adminGroupsOfUser,
  createGroup,
  deleteGroup,
  describeGroup,
  getGroup,
  removeUserFromGroup,
  sortByPrecedence,
  updateGroup,
} from '../domain/users/groups.ts';
import type { Group } from '../domain/types.ts';
import { invalidParameter } from '../errors.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { listUsersInGroup } from '../domain/users/list-users.ts';
import { decodeToken, encodeToken } from '../util/ids.ts';

/** Limit 0 or none means a full page of 60, Cognito's maximum. */
const pageSize = (limit: number | undefined) => (limit ? limit : 60);

/** A stand-in group at an AdminListGroupsForUser cursor position. */
function parseGroupCursor(key: string): Group {
  let v: unknown;
  try {
    v = JSON.parse(key);
  } catch {
    v = undefined;
  }
  if (!Array.isArray(v) || v.length !== 2 || (v[0] !== null && typeof v[0] !== 'number') || typeof v[1] !== 'string') {
    throw invalidParameter('The pagination token is not valid.');
  }
  return { poolId: '', groupName: v[1], description: null, roleArn: null, precedence: v[0], createdAt: 0, updatedAt: 0 };
}

export const groupHandlers: Handlers = {
  async CreateGroup(input, ctx) {
    return { Group: describeGroup(await createGroup(ctx.app, input)) };
  },

  async GetGroup(input, ctx) {
    await getPool(ctx.app.store, input.UserPoolId);
    return { Group: describeGroup(await getGroup(ctx.app.store, input.UserPoolId, input.GroupName)) };
  },

  async UpdateGroup(input, ctx) {
    return { Group: describeGroup(await updateGroup(ctx.app, input)) };
  },

  async DeleteGroup(input, ctx) {
    await deleteGroup(ctx.app, input.UserPoolId, input.GroupName);
    return {};
  },

  async ListGroups(input, ctx) {
    await getPool(ctx.app.store, input.UserPoolId);
    const max = pageSize(input.Limit);
    const groups = await ctx.app.store.groups.list(input.UserPoolId, decodeToken(input.NextToken), max + 1);
    const page = groups.slice(0, max);
    return {
      Groups: page.map(describeGroup),
      ...(groups.length > max ? { NextToken: encodeToken(page[page.length - 1].groupName) } : {}),
    };
  },

  async AdminAddUserToGroup(input, ctx) {
    await addUserToGroup(ctx.app, input.UserPoolId, input.Username, input.GroupName);
    return {};
  },

  async AdminRemoveUserFromGroup(input, ctx) {
    await removeUserFromGroup(ctx.app, input.UserPoolId, input.Username, input.GroupName);
    return {};
  },

  /** In precedence order (at most 100 groups per user), paged by the last group's name. */
  async AdminListGroupsForUser(input, ctx) {
    const { groups } = await adminGroupsOfUser(ctx.app.store, input.UserPoolId, input.Username);
    const after = decodeToken(input.NextToken);
    // The token is the last group's (precedence, name): the next page starts after it in the
    // same order even if that group was deleted in between.
    let start = 0;
    if (after !== null) {
      const last = parseGroupCursor(after);
      start = groups.findIndex((g) => sortByPrecedence([g, last])[0] !== g);
      if (start < 0) start = groups.length;
    }
    const max = pageSize(input.Limit);
    const page = groups.slice(start, start + max);
    const tail = page[page.length - 1];
    return {
      Groups: page.map(describeGroup),
      ...(start + max < groups.length ? { NextToken: encodeToken(JSON.stringify([tail.precedence, tail.groupName])) } : {}),
    };
  },

  async ListUsersInGroup(input, ctx) {
    // One read for the page, written as text like ListUsers' (domain/users/list-users.ts).
    return listUsersInGroup(ctx.app, input);
  },
};
