import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawCall, startTestServer } from './helpers/tobira.ts';
import { freePort, spawnTobira, stopSpawned, waitForHealth } from './helpers/process.ts';
import { verifyPassword } from '../src/domain/users/passwords.ts';

/** Calls an operation and fails the test on an error answer. */
async function call(url: string, op: string, body: unknown) {
  const r = await rawCall(url, op, body);
  assert.equal(r.status, 200, `${op}: ${r.text}`);
  return r.json;
}

/** Everything a client can read back about a pool, for before/after comparison. */
async function snapshot(url: string, poolId: string, clientId: string) {
  const pool = (await call(url, 'DescribeUserPool', { UserPoolId: poolId })).UserPool;
  const client = (await call(url, 'DescribeUserPoolClient', { UserPoolId: poolId, ClientId: clientId })).UserPoolClient;
  const users = (await call(url, 'ListUsers', { UserPoolId: poolId })).Users;
  const filtered = (await call(url, 'ListUsers', { UserPoolId: poolId, Filter: 'email ^= "ann"' })).Users;
  const ann = await call(url, 'AdminGetUser', { UserPoolId: poolId, Username: 'ann' });
  const groups = (await call(url, 'ListGroups', { UserPoolId: poolId })).Groups;
  const members = (await call(url, 'ListUsersInGroup', { UserPoolId: poolId, GroupName: 'admins' })).Users;
  const annGroups = (await call(url, 'AdminListGroupsForUser', { UserPoolId: poolId, Username: 'ann' })).Groups;
  return { pool, client, users, filtered, ann, groups, members, annGroups };
}

test('a pool, client, users and groups survive a clean stop and a start on the same data dir', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tobira-restart-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  let s = await startTestServer({ dataDir: dir });
  t.after(() => s.close()); // whichever is running when the test ends, on failure too
  const poolId = (await call(s.url, 'CreateUserPool', {
    PoolName: 'durable', AliasAttributes: ['email'], Schema: [{ Name: 'team', AttributeDataType: 'String' }],
  })).UserPool.Id;
  const clientId = (await call(s.url, 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'web', GenerateSecret: true })).UserPoolClient.ClientId;
  await call(s.url, 'AdminCreateUser', {
    UserPoolId: poolId, Username: 'ann', MessageAction: 'SUPPRESS',
    UserAttributes: [{ Name: 'email', Value: 'ann@example.com' }, { Name: 'email_verified', Value: 'true' }, { Name: 'custom:team', Value: 'blue' }],
  });
  await call(s.url, 'AdminCreateUser', { UserPoolId: poolId, Username: 'ben', MessageAction: 'SUPPRESS' });
  await call(s.url, 'AdminSetUserPassword', { UserPoolId: poolId, Username: 'ann', Password: 'Durable#Pass1', Permanent: true });
  await call(s.url, 'AdminDisableUser', { UserPoolId: poolId, Username: 'ben' });
  await call(s.url, 'CreateGroup', { UserPoolId: poolId, GroupName: 'admins', Precedence: 1, Description: 'the admins' });
  await call(s.url, 'AdminAddUserToGroup', { UserPoolId: poolId, GroupName: 'admins', Username: 'ann' });
  const before = await snapshot(s.url, poolId, clientId);
  assert.equal(before.users.length, 2);
  assert.equal(before.members.length, 1);
  await s.close();

  s = await startTestServer({ dataDir: dir });
  try {
    const afterRestart = await snapshot(s.url, poolId, clientId);
    assert.deepEqual(afterRestart, before);
    // The email alias and the password came back too.
    assert.equal((await call(s.url, 'AdminGetUser', { UserPoolId: poolId, Username: 'ann@example.com' })).Username, 'ann');
    const ann = await s.app.store.users.get(poolId, 'ann');
    assert.equal(await verifyPassword(ann!.passwordHash, 'Durable#Pass1'), true);
  } finally {
    await s.close();
  }
});

test('acknowledged writes survive kill -9 of `tobira start`', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'tobira-kill9-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const start = async () => {
    const port = await freePort();
    const proc = spawnTobira(['start', '--port', String(port), '--data-dir', dir, '--log-level', 'error']);
    t.after(() => stopSpawned(proc));
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url);
    return { proc, url };
  };

  let { proc, url } = await start();
  let pool: string;
  try {
    pool = (await call(url, 'CreateUserPool', { PoolName: 'crashy' })).UserPool.Id;
    for (let i = 0; i < 20; i++) {
      await call(url, 'AdminCreateUser', {
        UserPoolId: pool, Username: `u${i}`, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `u${i}@example.com` }],
      });
    }
    await call(url, 'AdminSetUserPassword', { UserPoolId: pool, Username: 'u7', Password: 'Crash#Proof7', Permanent: true });
  } finally {
    proc.child.kill('SIGKILL');
  }
  const exit = await proc.exited;
  assert.equal(exit.signal, 'SIGKILL');

  ({ proc, url } = await start());
  try {
    const users = [];
    let token: string | undefined;
    do {
      const page = await call(url, 'ListUsers', { UserPoolId: pool!, Limit: 7, ...(token ? { PaginationToken: token } : {}) });
      users.push(...page.Users);
      token = page.PaginationToken;
    } while (token);
    assert.equal(users.length, 20);
    const u7 = await call(url, 'AdminGetUser', { UserPoolId: pool!, Username: 'u7' });
    assert.equal(u7.UserStatus, 'CONFIRMED');
    const byEmail = await call(url, 'ListUsers', { UserPoolId: pool!, Filter: 'email = "u13@example.com"' });
    assert.deepEqual(byEmail.Users.map((u: any) => u.Username), ['u13']);
  } finally {
    proc.child.kill('SIGTERM');
    await proc.exited;
  }
});
