import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminListGroupsForUserCommand,
  AdminRemoveUserFromGroupCommand,
  CreateGroupCommand,
  CreateUserPoolCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  ListGroupsCommand,
  ListUsersInGroupCommand,
  UpdateGroupCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';
import { groupsOfUser } from '../src/domain/users/groups.ts';

const cli = (t: Running, ...args: string[]) => aws(t.url, ['cognito-idp', ...args]);
const ROLE = 'arn:aws:iam::000000000000:role/admins';

describe('groups over the AWS CLI', needs('aws'), () => {
  let t: Running;
  let poolId: string;
  before(async () => {
    t = await startTestServer();
    poolId = (await cli(t, 'create-user-pool', '--pool-name', 'groups')).json.UserPool.Id;
    for (const u of ['alice', 'bob']) {
      const r = await cli(t, 'admin-create-user', '--user-pool-id', poolId, '--username', u, '--message-action', 'SUPPRESS');
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(() => t.close());

  test('create-group, get-group, update-group, list-groups, delete-group', async () => {
    const created = await cli(
      t, 'create-group', '--user-pool-id', poolId, '--group-name', 'admins',
      '--description', 'Administrators', '--role-arn', ROLE, '--precedence', '1',
    );
    assert.equal(created.code, 0, created.stderr);
    const g = created.json.Group;
    assert.equal(g.GroupName, 'admins');
    assert.equal(g.UserPoolId, poolId);
    assert.equal(g.Description, 'Administrators');
    assert.equal(g.RoleArn, ROLE);
    assert.equal(g.Precedence, 1);
    assert.match(g.CreationDate, /^\d{4}-/);
    assert.equal(g.LastModifiedDate, g.CreationDate);

    const got = await cli(t, 'get-group', '--user-pool-id', poolId, '--group-name', 'admins');
    assert.deepEqual(got.json.Group, g);

    const dup = await cli(t, 'create-group', '--user-pool-id', poolId, '--group-name', 'admins');
    assert.match(dup.stderr, /An error occurred \(GroupExistsException\) when calling the CreateGroup operation: A group with the name admins already exists\./);

    // Only the given fields change; the role stays.
    const updated = await cli(t, 'update-group', '--user-pool-id', poolId, '--group-name', 'admins', '--precedence', '5', '--description', 'Admins');
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(updated.json.Group.Precedence, 5);
    assert.equal(updated.json.Group.Description, 'Admins');
    assert.equal(updated.json.Group.RoleArn, ROLE);

    const plain = await cli(t, 'create-group', '--user-pool-id', poolId, '--group-name', 'readers');
    assert.deepEqual(Object.keys(plain.json.Group).sort(), ['CreationDate', 'GroupName', 'LastModifiedDate', 'UserPoolId']);

    const listed = await cli(t, 'list-groups', '--user-pool-id', poolId);
    assert.deepEqual(listed.json.Groups.map((x: any) => x.GroupName), ['admins', 'readers']);
    // --page-size 1: the CLI follows NextToken.
    const paged = await cli(t, 'list-groups', '--user-pool-id', poolId, '--page-size', '1');
    assert.deepEqual(paged.json.Groups.map((x: any) => x.GroupName), ['admins', 'readers']);
    const one = await cli(t, 'list-groups', '--user-pool-id', poolId, '--limit', '1');
    assert.equal(one.json.Groups.length, 1);
    assert.equal(typeof one.json.NextToken, 'string');

    const del = await cli(t, 'delete-group', '--user-pool-id', poolId, '--group-name', 'readers');
    assert.equal(del.code, 0, del.stderr);
    const gone = await cli(t, 'get-group', '--user-pool-id', poolId, '--group-name', 'readers');
    assert.match(gone.stderr, /\(ResourceNotFoundException\) when calling the GetGroup operation: Group not found\./);
  });

  test('members: add, list both ways, remove', async () => {
    await cli(t, 'create-group', '--user-pool-id', poolId, '--group-name', 'editors', '--precedence', '0');
    for (const [user, group] of [['alice', 'editors'], ['bob', 'editors'], ['alice', 'admins']]) {
      const r = await cli(t, 'admin-add-user-to-group', '--user-pool-id', poolId, '--username', user, '--group-name', group);
      assert.equal(r.code, 0, r.stderr);
    }
    // Adding again is accepted and changes nothing.
    assert.equal((await cli(t, 'admin-add-user-to-group', '--user-pool-id', poolId, '--username', 'alice', '--group-name', 'editors')).code, 0);

    const ofAlice = await cli(t, 'admin-list-groups-for-user', '--user-pool-id', poolId, '--username', 'alice');
    assert.equal(ofAlice.code, 0, ofAlice.stderr);
    // Precedence order: editors (0) before admins (5).
    assert.deepEqual(ofAlice.json.Groups.map((g: any) => g.GroupName), ['editors', 'admins']);
    assert.equal(ofAlice.json.Groups[1].RoleArn, ROLE);

    const members = await cli(t, 'list-users-in-group', '--user-pool-id', poolId, '--group-name', 'editors');
    assert.equal(members.code, 0, members.stderr);
    assert.deepEqual(members.json.Users.map((u: any) => u.Username), ['alice', 'bob']);
    const u = members.json.Users[0];
    assert.equal(u.UserStatus, 'FORCE_CHANGE_PASSWORD');
    assert.equal(u.Enabled, true);
    assert.ok(u.Attributes.some((a: any) => a.Name === 'sub'));

    const paged = await cli(t, 'list-users-in-group', '--user-pool-id', poolId, '--group-name', 'editors', '--page-size', '1');
    assert.deepEqual(paged.json.Users.map((x: any) => x.Username), ['alice', 'bob']);

    const rm = await cli(t, 'admin-remove-user-from-group', '--user-pool-id', poolId, '--username', 'bob', '--group-name', 'editors');
    assert.equal(rm.code, 0, rm.stderr);
    const after = await cli(t, 'list-users-in-group', '--user-pool-id', poolId, '--group-name', 'editors');
    assert.deepEqual(after.json.Users.map((x: any) => x.Username), ['alice']);
  });

  test('errors: unknown pool, unknown user, unknown group', async () => {
    const noPool = await cli(t, 'create-group', '--user-pool-id', 'us-east-1_nope12345', '--group-name', 'g');
    assert.match(noPool.stderr, /\(ResourceNotFoundException\) when calling the CreateGroup operation: User pool us-east-1_nope12345 does not exist\./);
    const noUser = await cli(t, 'admin-add-user-to-group', '--user-pool-id', poolId, '--username', 'nobody', '--group-name', 'admins');
    assert.match(noUser.stderr, /\(UserNotFoundException\) when calling the AdminAddUserToGroup operation: User does not exist\./);
    const noGroup = await cli(t, 'admin-add-user-to-group', '--user-pool-id', poolId, '--username', 'alice', '--group-name', 'ghosts');
    assert.match(noGroup.stderr, /\(ResourceNotFoundException\) when calling the AdminAddUserToGroup operation: Group not found\./);
    const listNoGroup = await cli(t, 'list-users-in-group', '--user-pool-id', poolId, '--group-name', 'ghosts');
    assert.match(listNoGroup.stderr, /ResourceNotFoundException.*Group not found\./);
    const listNoUser = await cli(t, 'admin-list-groups-for-user', '--user-pool-id', poolId, '--username', 'nobody');
    assert.match(listNoUser.stderr, /UserNotFoundException.*User does not exist\./);
    // The CLI refuses a negative precedence itself; the server must too.
    const badPrecedence = await rawCall(t.url, 'CreateGroup', { UserPoolId: poolId, GroupName: 'neg', Precedence: -1 });
    assert.equal(badPrecedence.status, 400);
    assert.equal(badPrecedence.json.__type, 'InvalidParameterException');
    const badName = await rawCall(t.url, 'CreateGroup', { UserPoolId: poolId, GroupName: 'x'.repeat(129) });
    assert.equal(badName.json.__type, 'InvalidParameterException');
    assert.equal((await t.app.store.groups.get(poolId, 'neg')), undefined);
  });
});

describe('groups over the JS SDK v3', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  let poolId: string;
  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
    poolId = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'sdk-groups' }))).UserPool!.Id!;
    for (const u of ['carol', 'dave', 'erin']) {
      await sdk.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: u, MessageAction: 'SUPPRESS' }));
    }
  });
  after(() => t.close());

  test('the group lifecycle', async () => {
    const { Group: g } = await sdk.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'ops', Precedence: 3, RoleArn: ROLE }));
    assert.ok(g!.CreationDate instanceof Date);
    assert.equal(g!.Precedence, 3);
    const dup = await sdkError(sdk.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'ops' })));
    assert.deepEqual(dup, { name: 'GroupExistsException', message: 'A group with the name ops already exists.' });
    const { Group: u } = await sdk.send(new UpdateGroupCommand({ UserPoolId: poolId, GroupName: 'ops', Description: 'Operations' }));
    assert.equal(u!.Description, 'Operations');
    assert.equal(u!.Precedence, 3);
    assert.equal(u!.RoleArn, ROLE);
    const { Group: got } = await sdk.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: 'ops' }));
    assert.deepEqual(got, u);
    await sdk.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'ops' }));
    const gone = await sdkError(sdk.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: 'ops' })));
    assert.deepEqual(gone, { name: 'ResourceNotFoundException', message: 'Group not found.' });
    const again = await sdkError(sdk.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'ops' })));
    assert.equal(again.name, 'ResourceNotFoundException');
    const noUpdate = await sdkError(sdk.send(new UpdateGroupCommand({ UserPoolId: poolId, GroupName: 'ops' })));
    assert.equal(noUpdate.name, 'ResourceNotFoundException');
  });

  test('ListGroups pages with Limit and NextToken; Limit is at most 60', async () => {
    const pool = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'many-groups' }))).UserPool!.Id!;
    const names = Array.from({ length: 7 }, (_, i) => `g${i}`);
    for (const n of names) await sdk.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: n }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await sdk.send(new ListGroupsCommand({ UserPoolId: pool, Limit: 3, NextToken: token }));
      assert.ok(r.Groups!.length <= 3);
      seen.push(...r.Groups!.map((g) => g.GroupName!));
      token = r.NextToken;
    } while (token);
    assert.deepEqual(seen, names);
    const all = await sdk.send(new ListGroupsCommand({ UserPoolId: pool }));
    assert.equal(all.Groups!.length, 7);
    assert.equal(all.NextToken, undefined);
    const tooMany = await rawCall(t.url, 'ListGroups', { UserPoolId: pool, Limit: 61 });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json.__type, 'InvalidParameterException');
  });

  test('membership, its order for tokens, and its end when user or group is deleted', async () => {
    for (const [name, precedence] of [['zeta', 1], ['alpha', 2], ['beta', undefined], ['gamma', 1]] as const) {
      await sdk.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: name, Precedence: precedence }));
      await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'carol', GroupName: name }));
    }
    await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'dave', GroupName: 'alpha' }));
    await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'erin', GroupName: 'alpha' }));

    // Lowest precedence first, ties by name, groups without precedence last.
    const expected = ['gamma', 'zeta', 'alpha', 'beta'];
    const forUser = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    assert.deepEqual(forUser.Groups!.map((g) => g.GroupName), expected);
    assert.deepEqual((await groupsOfUser(t.app.store, poolId, 'carol')).map((g) => g.groupName), expected);

    const paged: string[] = [];
    let token: string | undefined;
    do {
      const r = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'carol', Limit: 3, NextToken: token }));
      paged.push(...r.Groups!.map((g) => g.GroupName!));
      token = r.NextToken;
    } while (token);
    assert.deepEqual(paged, expected);

    const p1 = await sdk.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'alpha', Limit: 2 }));
    assert.deepEqual(p1.Users!.map((u) => u.Username), ['carol', 'dave']);
    assert.ok(p1.Users![0].UserCreateDate instanceof Date);
    const p2 = await sdk.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'alpha', Limit: 2, NextToken: p1.NextToken }));
    assert.deepEqual(p2.Users!.map((u) => u.Username), ['erin']);
    assert.equal(p2.NextToken, undefined);

    // Usernames are found case-insensitively in a default pool.
    await sdk.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: poolId, Username: 'ERIN', GroupName: 'alpha' }));
    // Removing a non-member succeeds.
    await sdk.send(new AdminRemoveUserFromGroupCommand({ UserPoolId: poolId, Username: 'erin', GroupName: 'alpha' }));

    await sdk.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'dave' }));
    const left = await sdk.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'alpha' }));
    assert.deepEqual(left.Users!.map((u) => u.Username), ['carol']);

    await sdk.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'zeta' }));
    const now = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    assert.deepEqual(now.Groups!.map((g) => g.GroupName), ['gamma', 'alpha', 'beta']);
    // A group of the same name made later starts empty.
    await sdk.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'zeta' }));
    const fresh = await sdk.send(new ListUsersInGroupCommand({ UserPoolId: poolId, GroupName: 'zeta' }));
    assert.deepEqual(fresh.Users, []);
  });

  test('AdminListGroupsForUser pages on even when the last group of a page is deleted', async () => {
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'gina', MessageAction: 'SUPPRESS' }));
    for (const [name, precedence] of [['p1', 1], ['p2', 2], ['p3', 3]] as const) {
      await sdk.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: name, Precedence: precedence }));
      await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'gina', GroupName: name }));
    }
    const first = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'gina', Limit: 2 }));
    assert.deepEqual(first.Groups!.map((g) => g.GroupName), ['p1', 'p2']);
    await sdk.send(new DeleteGroupCommand({ UserPoolId: poolId, GroupName: 'p2' }));
    const next = await sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'gina', Limit: 2, NextToken: first.NextToken }));
    assert.deepEqual(next.Groups!.map((g) => g.GroupName), ['p3']);
    assert.equal(next.NextToken, undefined);
    const bad = await sdkError(sdk.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'gina', NextToken: 'nonsense' })));
    assert.equal(bad.name, 'InvalidParameterException');
  });

  test('a user can belong to at most 100 groups', async () => {
    const pool = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'limits' }))).UserPool!.Id!;
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'busy', MessageAction: 'SUPPRESS' }));
    // Fill the membership directly through the store: 100 calls over HTTP would only slow the test.
    const now = Date.now();
    for (let i = 0; i < 100; i++) {
      await t.app.store.groups.insert({ poolId: pool, groupName: `g${i}`, description: null, roleArn: null, precedence: null, createdAt: now, updatedAt: now });
      await t.app.store.groups.addMember(pool, `g${i}`, 'busy', now);
    }
    await sdk.send(new CreateGroupCommand({ UserPoolId: pool, GroupName: 'one-more' }));
    const e = await sdkError(sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: pool, Username: 'busy', GroupName: 'one-more' })));
    assert.equal(e.name, 'LimitExceededException');
    // Re-adding an existing membership is still fine at the limit.
    await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: pool, Username: 'busy', GroupName: 'g0' }));
  });
});

describe('groups and clients survive a restart, and boto3 sees them', needs('boto3'), () => {
  test('create on a data dir, stop, start again, read with boto3', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { execFile } = await import('node:child_process');
    const dir = await mkdtemp(join(tmpdir(), 'tobira-groups-'));
    let t: Running | undefined;
    try {
      t = await startTestServer({ dataDir: dir });
      let sdk = idpClient(t.url);
      const poolId = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'kept' }))).UserPool!.Id!;
      await sdk.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'frank', MessageAction: 'SUPPRESS' }));
      await sdk.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'staff', Precedence: 2, RoleArn: ROLE }));
      await sdk.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'frank', GroupName: 'staff' }));
      const client = await rawCall(t.url, 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'kept', GenerateSecret: true });
      await t.close();

      t = await startTestServer({ dataDir: dir });
      sdk = idpClient(t.url);
      const script = `
import boto3, json, sys
c = boto3.client('cognito-idp', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='x')
pool = sys.argv[2]
out = {
  'groups': [g for p in c.get_paginator('list_groups').paginate(UserPoolId=pool) for g in p['Groups']],
  'members': [u['Username'] for p in c.get_paginator('list_users_in_group').paginate(UserPoolId=pool, GroupName='staff') for u in p['Users']],
  'ofUser': [g['GroupName'] for g in c.admin_list_groups_for_user(UserPoolId=pool, Username='frank')['Groups']],
  'client': c.describe_user_pool_client(UserPoolId=pool, ClientId=sys.argv[3])['UserPoolClient'],
  'clients': [x['ClientId'] for p in c.get_paginator('list_user_pool_clients').paginate(UserPoolId=pool) for x in p['UserPoolClients']],
}
print(json.dumps(out, default=str))
`;
      const out = await new Promise<string>((resolve, reject) =>
        execFile(PYTHON, ['-c', script, t!.url, poolId, client.json.UserPoolClient.ClientId], { timeout: 60_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(stderr)) : resolve(stdout),
        ),
      );
      const r = JSON.parse(out);
      assert.equal(r.groups.length, 1);
      assert.equal(r.groups[0].GroupName, 'staff');
      assert.equal(r.groups[0].Precedence, 2);
      assert.equal(r.groups[0].RoleArn, ROLE);
      assert.deepEqual(r.members, ['frank']);
      assert.deepEqual(r.ofUser, ['staff']);
      assert.equal(r.client.ClientSecret, client.json.UserPoolClient.ClientSecret);
      assert.equal(r.client.ClientName, 'kept');
      assert.deepEqual(r.clients, [client.json.UserPoolClient.ClientId]);
    } finally {
      // Closed on failure too: a server left open would keep this file from ever exiting.
      await t?.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
