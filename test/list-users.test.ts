import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  CreateUserPoolCommand,
  ListUsersCommand,
  paginateListUsers,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, okCall, rawCall, startTestServer } from './helpers/tobira.ts';
import { handlers } from '../src/api/index.ts';
import { needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';

describe('ListUsers', needs('aws'), () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  let pool: string;
  const subs: Record<string, string> = {};

  const create = async (Username: string, attrs: Record<string, string> = {}) => {
    const r = await sdk.send(new AdminCreateUserCommand({
      UserPoolId: pool, Username, MessageAction: 'SUPPRESS',
      UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
    }));
    subs[Username] = r.User!.Attributes!.find((a) => a.Name === 'sub')!.Value!;
  };
  const names = async (Filter?: string, extra: Record<string, unknown> = {}) =>
    (await sdk.send(new ListUsersCommand({ UserPoolId: pool, Filter, ...extra }))).Users!.map((u) => u.Username).sort();
  const error = async (body: Record<string, unknown>) => (await rawCall(t.url, 'ListUsers', { UserPoolId: pool, ...body })).json;

  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
    pool = (await sdk.send(new CreateUserPoolCommand({
      PoolName: 'list', Schema: [{ Name: 'team', AttributeDataType: 'String' }],
    }))).UserPool!.Id!;
    // Seed 003's user, created with its command verbatim (pool id aside).
    const seed = await aws(t.url, [
      'cognito-idp', 'admin-create-user', '--user-pool-id', pool, '--username', 'alice@example.com',
      '--user-attributes', 'Name=email,Value=alice@example.com', 'Name=name,Value=Alice Johnson',
      '--temporary-password', 'TempPass123!', '--message-action', 'SUPPRESS',
    ]);
    assert.equal(seed.code, 0, seed.stderr);
    subs['alice@example.com'] = seed.json.User.Attributes.find((a: any) => a.Name === 'sub').Value;
    await create('alicia', { email: 'alicia@example.org', given_name: 'Alicia', family_name: 'Keys', 'custom:team': 'red' });
    await create('bob', { email: 'bob@example.com', given_name: 'Bob "the" Builder', phone_number: '+15555550101' });
    await create('carol', { email: 'carol@example.com', preferred_username: 'caz', name: 'Carol' });
    await create('dave', { email: 'Alice@Example.net' });
    await sdk.send(new AdminDisableUserCommand({ UserPoolId: pool, Username: 'dave' }));
  });
  after(() => t.close());

  test('seed 003: list-users --filter \'email ^= "alice"\' --limit 10', async () => {
    const r = await aws(t.url, ['cognito-idp', 'list-users', '--user-pool-id', pool, '--filter', 'email ^= "alice"', '--limit', '10']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.Users.map((u: any) => u.Username), ['alice@example.com']);
    const alice = r.json.Users[0];
    assert.equal(alice.UserStatus, 'FORCE_CHANGE_PASSWORD');
    assert.deepEqual(alice.Attributes.map((a: any) => [a.Name, a.Value]), [
      ['sub', subs['alice@example.com']], ['email', 'alice@example.com'], ['name', 'Alice Johnson'],
    ]);
  });

  test('= and ^= over every searchable attribute, with the spacing Cognito accepts', async () => {
    assert.deepEqual(await names('email = "bob@example.com"'), ['bob']);
    assert.deepEqual(await names('email="bob@example.com"'), ['bob']);
    assert.deepEqual(await names('  email ^="ali"  '), ['alice@example.com', 'alicia']);
    assert.deepEqual(await names('email = "bob"'), [], '= is exact');
    assert.deepEqual(await names('email ^= "Alice"'), ['dave'], 'values compare as written');
    assert.deepEqual(await names('username = "carol"'), ['carol']);
    assert.deepEqual(await names('username ^= "ali"'), ['alice@example.com', 'alicia']);
    assert.deepEqual(await names('given_name = "Bob \\"the\\" Builder"'), ['bob']);
    assert.deepEqual(await names('family_name = "Keys"'), ['alicia']);
    assert.deepEqual(await names('name ^= "Ca"'), ['carol']);
    assert.deepEqual(await names('preferred_username = "caz"'), ['carol']);
    assert.deepEqual(await names('phone_number ^= "+1555"'), ['bob']);
    assert.deepEqual(await names(`sub = "${subs.carol}"`), ['carol']);
    assert.deepEqual(await names(`sub ^= "${subs.bob.slice(0, 8)}"`), ['bob']);
    assert.deepEqual(await names('cognito:user_status = "force_change_password"'), ['alice@example.com', 'alicia', 'bob', 'carol', 'dave']);
    assert.deepEqual(await names('cognito:user_status = "CONFIRMED"'), []);
    assert.deepEqual(await names('status = "Disabled"'), ['dave']);
    assert.equal((await names('status = "Enabled"')).length, 4);
    assert.deepEqual(await names('status = "enabled"'), [], 'status is case-sensitive');
    assert.equal((await names('')).length, 5, 'an empty filter is no filter');
  });

  test('bad filters and unsearchable attributes', async () => {
    assert.deepEqual(await error({ Filter: 'custom:team = "red"' }), { __type: 'InvalidParameterException', message: 'Invalid search attribute: custom:team' });
    assert.deepEqual(await error({ Filter: 'email == "x"' }), { __type: 'InvalidParameterException', message: 'Error while parsing filter.' });
    assert.deepEqual(await error({ Filter: 'email = x' }), { __type: 'InvalidParameterException', message: 'Error while parsing filter.' });
    assert.deepEqual(await error({ Filter: 'email = "x" and name = "y"' }), { __type: 'InvalidParameterException', message: 'Error while parsing filter.' });
    const cli = await aws(t.url, ['cognito-idp', 'list-users', '--user-pool-id', pool, '--filter', 'custom:team ^= "r"']);
    assert.match(cli.stderr, /\(InvalidParameterException\) when calling the ListUsers operation: Invalid search attribute: custom:team/);
  });

  test('AttributesToGet picks attributes; one outside the schema is refused', async () => {
    const r = await sdk.send(new ListUsersCommand({ UserPoolId: pool, Filter: 'username = "alicia"', AttributesToGet: ['email', 'custom:team'] }));
    assert.deepEqual(r.Users![0].Attributes, [{ Name: 'email', Value: 'alicia@example.org' }, { Name: 'custom:team', Value: 'red' }]);
    assert.deepEqual(await error({ AttributesToGet: ['custom:nope'] }), {
      __type: 'InvalidParameterException',
      message: 'One or more requested attributes do not exist.',
    });
  });

  test('pages with Limit and an opaque PaginationToken, filtered or not', async () => {
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await sdk.send(new ListUsersCommand({ UserPoolId: pool, Limit: 2, PaginationToken: token }));
      assert.ok(r.Users!.length <= 2);
      seen.push(...r.Users!.map((u) => u.Username!));
      token = r.PaginationToken;
    } while (token);
    assert.deepEqual(seen.sort(), ['alice@example.com', 'alicia', 'bob', 'carol', 'dave']);

    const all: string[] = [];
    for await (const page of paginateListUsers({ client: sdk, pageSize: 1 }, { UserPoolId: pool, Filter: 'email ^= "a"' })) {
      assert.ok(page.Users!.length <= 1);
      all.push(...page.Users!.map((u) => u.Username!));
    }
    assert.deepEqual(all.sort(), ['alice@example.com', 'alicia']);

    // The CLI follows PaginationToken by itself.
    const cli = await aws(t.url, ['cognito-idp', 'list-users', '--user-pool-id', pool, '--page-size', '2']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json.Users.length, 5);

    assert.equal((await error({ Limit: 61 })).__type, 'InvalidParameterException');
    assert.deepEqual(await error({ PaginationToken: 'garbage' }), { __type: 'InvalidParameterException', message: 'Invalid pagination token.' });
    const zero = await sdk.send(new ListUsersCommand({ UserPoolId: pool, Limit: 0 }));
    assert.equal(zero.Users!.length, 5, 'Limit 0 means the default of 60');
  });

  test('prefix pages break ties between equal values without losing or repeating a user', async () => {
    for (const u of ['twin-c', 'twin-a', 'twin-b']) await create(u, { given_name: 'Twin' });
    await create('twin-d', { given_name: 'Twins' });
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const r = await sdk.send(new ListUsersCommand({ UserPoolId: pool, Filter: 'given_name ^= "Tw"', Limit: 1, PaginationToken: token }));
      seen.push(...r.Users!.map((u) => u.Username!));
      token = r.PaginationToken;
    } while (token);
    assert.deepEqual(seen, ['twin-a', 'twin-b', 'twin-c', 'twin-d']);
    for (const u of ['twin-a', 'twin-b', 'twin-c', 'twin-d']) await t.app.store.users.delete(pool, u);
  });

  test('an unknown pool is ResourceNotFoundException', async () => {
    const r = await rawCall(t.url, 'ListUsers', { UserPoolId: 'us-east-1_nothere99' });
    assert.deepEqual(r.json, { __type: 'ResourceNotFoundException', message: 'User pool us-east-1_nothere99 does not exist.' });
    await assert.rejects(sdk.send(new ListUsersCommand({ UserPoolId: 'us-east-1_nothere99' })), {
      name: 'ResourceNotFoundException',
      message: 'User pool us-east-1_nothere99 does not exist.',
    });
    await assert.rejects(sdk.send(new ListUsersCommand({ UserPoolId: pool, Filter: 'email = x' })), {
      name: 'InvalidParameterException',
      message: 'Error while parsing filter.',
    });
  });

  // Last: it adds a user the filters above would list.
  test('the answer is the JSON of each UserType, byte for byte (escapes, attribute order, MFAOptions); the console reads it as objects', async () => {
    await create('erin', { 'custom:team': 'q"uote \\ \n\t\u0001 \u2028 é 😀 </script>', email: 'erin@example.com', name: 'Erin' });
    const got = await okCall(t.url, 'AdminGetUser', { UserPoolId: pool, Username: 'erin' });
    const r = await rawCall(t.url, 'ListUsers', { UserPoolId: pool, Filter: 'username = "erin"' });
    assert.equal(r.status, 200);
    const expected = {
      Users: [{
        Username: 'erin',
        Attributes: got.UserAttributes,
        UserCreateDate: got.UserCreateDate,
        UserLastModifiedDate: got.UserLastModifiedDate,
        Enabled: true,
        UserStatus: 'FORCE_CHANGE_PASSWORD',
      }],
    };
    assert.equal(got.UserAttributes[0].Name, 'sub');
    assert.equal(r.text, JSON.stringify(expected));
    const only = await rawCall(t.url, 'ListUsers', { UserPoolId: pool, Filter: 'username ^= "eri"', AttributesToGet: ['custom:team', 'sub'] });
    assert.equal(only.text, JSON.stringify({ Users: [{ ...expected.Users[0], Attributes: [got.UserAttributes[0], got.UserAttributes.find((a: any) => a.Name === 'custom:team')] }] }));

    // The legacy MFAOptions, as stored by the MFA feature, follow UserStatus.
    const mfaOptions = [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }];
    const user = (await t.app.store.users.get(pool, 'erin'))!;
    await t.app.store.users.update({ ...user, data: { ...user.data, mfa: { MFAOptions: mfaOptions } } });
    await create('eriz');
    const paged = await rawCall(t.url, 'ListUsers', { UserPoolId: pool, Filter: 'username ^= "e"', Limit: 1 });
    assert.equal(paged.text, JSON.stringify({ Users: [{ ...expected.Users[0], MFAOptions: mfaOptions }], PaginationToken: paged.json.PaginationToken }));
    assert.equal(typeof paged.json.PaginationToken, 'string');

    // The console calls the handler itself and reads the answer as objects.
    const ctx = { app: t.app, requestId: 'test', region: 'us-east-1', sourceIp: '127.0.0.1' };
    const answer = await handlers.ListUsers!({ UserPoolId: pool, Filter: 'username ^= "e"', Limit: 1 }, ctx);
    assert.equal('Users' in answer && answer.Users?.[0].Username, 'erin');
    assert.deepEqual({ ...answer }, paged.json);
    assert.equal(JSON.stringify(answer), paged.text);
  });
});
