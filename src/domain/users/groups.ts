import type { App } from '../../app.ts';
import { CognitoError, resourceNotFound } from '../../errors.ts';
import type { CreateGroupRequest, GroupType, UpdateGroupRequest } from '../../generated/cognito-idp.ts';
import type { Store } from '../../store/store.ts';
import type { Group, User } from '../types.ts';
import { getPool } from '../pools/user-pools.ts';
import { requireUser } from './users.ts';

/** Cognito's quotas (cognito-quotas-and-errors.md): neither can be raised. */
export const MAX_GROUPS_PER_POOL = 10_000;
export const MAX_GROUPS_PER_USER = 100;

export const groupNotFound = () => resourceNotFound('Group not found.');

/** The group, or ResourceNotFoundException "Group not found." */
export async function getGroup(store: Store, poolId: string, groupName: string): Promise<Group> {
  const group = await store.groups.get(poolId, groupName);
  if (!group) throw groupNotFound();
  return group;
}

/** The group in Cognito's GroupType shape; unset fields are left out, as Cognito does. */
export function describeGroup(g: Group): GroupType {
  return {
    GroupName: g.groupName,
    UserPoolId: g.poolId,
    ...(g.description !== null ? { Description: g.description } : {}),
    ...(g.roleArn !== null ? { RoleArn: g.roleArn } : {}),
    ...(g.precedence !== null ? { Precedence: g.precedence } : {}),
    LastModifiedDate: g.updatedAt / 1000,
    CreationDate: g.createdAt / 1000,
  };
}

export async function createGroup(app: App, input: CreateGroupRequest): Promise<Group> {
  const now = app.clock.now();
  const group: Group = {
    poolId: input.UserPoolId,
    groupName: input.GroupName,
    description: input.Description ?? null,
    roleArn: input.RoleArn ?? null,
    precedence: input.Precedence ?? null,
    createdAt: now,
    updatedAt: now,
  };
  await app.store.tx(async (s) => {
    await getPool(s, input.UserPoolId);
    if (await s.groups.get(input.UserPoolId, input.GroupName)) {
      throw new CognitoError('GroupExistsException', `A group with the name ${input.GroupName} already exists.`);
    }
    if ((await s.groups.count(input.UserPoolId)) >= MAX_GROUPS_PER_POOL) {
      throw new CognitoError('LimitExceededException', `The user pool ${input.UserPoolId} has reached its limit of ${MAX_GROUPS_PER_POOL} groups.`);
    }
    await s.groups.insert(group);
  });
  return group;
}

/**
 * UpdateGroup changes only the fields it is given: AWS's documented example omits RoleArn and
 * answers with the group's existing role.
 */
export async function updateGroup(app: App, input: UpdateGroupRequest): Promise<Group> {
  return app.store.tx(async (s) => {
    await getPool(s, input.UserPoolId);
    const group = await getGroup(s, input.UserPoolId, input.GroupName);
    if (input.Description !== undefined) group.description = input.Description;
    if (input.RoleArn !== undefined) group.roleArn = input.RoleArn;
    if (input.Precedence !== undefined) group.precedence = input.Precedence;
    group.updatedAt = app.clock.now();
    await s.groups.update(group);
    return group;
  });
}

export async function deleteGroup(app: App, poolId: string, groupName: string): Promise<void> {
  await app.store.tx(async (s) => {
    await getPool(s, poolId);
    await getGroup(s, poolId, groupName);
    await s.groups.delete(poolId, groupName);
  });
}

/** Adds a user to a group; adding a member again succeeds and changes nothing, as in Cognito. */
export async function addUserToGroup(app: App, poolId: string, username: string, groupName: string): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    const user = await requireUser(s, pool, username);
    await getGroup(s, poolId, groupName);
    if (await s.groups.isMember(poolId, groupName, user.usernameKey)) return;
    if ((await s.groups.countOfUser(poolId, user.usernameKey)) >= MAX_GROUPS_PER_USER) {
      throw new CognitoError('LimitExceededException', `A user can belong to at most ${MAX_GROUPS_PER_USER} groups.`);
    }
    await s.groups.addMember(poolId, groupName, user.usernameKey, app.clock.now());
  });
}

export async function removeUserFromGroup(app: App, poolId: string, username: string, groupName: string): Promise<void> {
  await app.store.tx(async (s) => {
    const pool = await getPool(s, poolId);
    const user = await requireUser(s, pool, username);
    await getGroup(s, poolId, groupName);
    await s.groups.removeMember(poolId, groupName, user.usernameKey);
  });
}

/**
 * Cognito's order of a user's groups: by precedence, lowest first, groups without one last;
 * ties by name. The first group's role is the token's cognito:preferred_role.
 */
export function sortByPrecedence(groups: Group[]): Group[] {
  return [...groups].sort((a, b) => {
    const pa = a.precedence ?? Number.POSITIVE_INFINITY;
    const pb = b.precedence ?? Number.POSITIVE_INFINITY;
    if (pa !== pb) return pa < pb ? -1 : 1;
    return a.groupName < b.groupName ? -1 : a.groupName > b.groupName ? 1 : 0;
  });
}

/** The groups of a user in the order tokens list them in cognito:groups. */
export async function groupsOfUser(store: Store, poolId: string, usernameKey: string): Promise<Group[]> {
  return sortByPrecedence(await store.groups.ofUser(poolId, usernameKey));
}

/** The user's groups for AdminListGroupsForUser, and the user (for its not-found error first). */
export async function adminGroupsOfUser(store: Store, poolId: string, username: string): Promise<{ user: User; groups: Group[] }> {
  const pool = await getPool(store, poolId);
  const user = await requireUser(store, pool, username);
  return { user, groups: await groupsOfUser(store, poolId, user.usernameKey) };
}
