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
import { attributeListJson, epochSeconds, listUsersInGroup, userTypesJsonOfRows } from '../src/domain/users/list-users.ts';
import { jsonTextOf } from '../src/api/json-answer.ts';
import { userTypesJson } from '../src/domain/users/user-type.ts';
import { listedUser, type ListedRow } from '../src/store/repos/users.ts';

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
    const ctx = { app: t.app, requestId: 'test', region: 'us-east-1', sourceIp: '127.0.0.1', origin: { sourceIp: '127.0.0.1', requestId: 'test' } };
    const answer = await handlers.ListUsers!({ UserPoolId: pool, Filter: 'username ^= "e"', Limit: 1 }, ctx);
    assert.equal('Users' in answer && answer.Users?.[0].Username, 'erin');
    assert.deepEqual({ ...answer }, paged.json);
    assert.equal(JSON.stringify(answer), paged.text);
  });

  test('every page is the JSON of its UserTypes, byte for byte, whether written from the rows or from parsed users', async () => {
    // A username JSON escapes, and a user whose stored attributes do not start with sub: their
    // pages are written from the parsed users (toAttributeList moves sub first).
    await create('q"uote\\name', { email: 'quote@example.com' });
    await create('zed', { email: 'zed@example.com', name: 'Zoë 😀 \u2028' });
    const zed = (await t.app.store.users.get(pool, 'zed'))!;
    const { sub, ...rest } = zed.attributes;
    await t.app.store.users.update({ ...zed, attributes: { ...rest, sub } });
    const userType = async (Username: string) => {
      const got = await okCall(t.url, 'AdminGetUser', { UserPoolId: pool, Username });
      return {
        Username: got.Username, Attributes: got.UserAttributes, UserCreateDate: got.UserCreateDate, UserLastModifiedDate: got.UserLastModifiedDate,
        Enabled: got.Enabled, UserStatus: got.UserStatus, ...(got.MFAOptions ? { MFAOptions: got.MFAOptions } : {}),
      };
    };
    const all = await rawCall(t.url, 'ListUsers', { UserPoolId: pool });
    const expected = await Promise.all(all.json.Users.map((u: any) => userType(u.Username)));
    assert.ok(expected.some((u) => u.Username === 'q"uote\\name') && expected.some((u) => u.Username === 'zed'));
    assert.equal(expected.find((u) => u.Username === 'zed')!.Attributes[0].Name, 'sub');
    assert.equal(all.text, JSON.stringify({ Users: expected }));
    // One user a page: pages of a single plain user are written from the rows.
    let token: string | undefined;
    let i = 0;
    do {
      const page = await rawCall(t.url, 'ListUsers', { UserPoolId: pool, Limit: 1, PaginationToken: token });
      token = page.json.PaginationToken;
      assert.equal(page.text, JSON.stringify({ Users: [expected[i++]], ...(token ? { PaginationToken: token } : {}) }));
    } while (token);
    assert.equal(i, expected.length);
  });

  test('ListUsersInGroup: the members\' UserTypes in username order, byte for byte, from the handler and from listUsersInGroup', async () => {
    await okCall(t.url, 'CreateGroup', { UserPoolId: pool, GroupName: 'crew' });
    const members = ['zed', 'q"uote\\name', 'erin', 'bob', 'alicia'];
    for (const Username of members) await okCall(t.url, 'AdminAddUserToGroup', { UserPoolId: pool, GroupName: 'crew', Username });
    const expected: unknown[] = [];
    for (const Username of [...members].sort()) {
      const got = await okCall(t.url, 'AdminGetUser', { UserPoolId: pool, Username });
      expected.push({
        Username: got.Username, Attributes: got.UserAttributes, UserCreateDate: got.UserCreateDate, UserLastModifiedDate: got.UserLastModifiedDate,
        Enabled: got.Enabled, UserStatus: got.UserStatus, ...(got.MFAOptions ? { MFAOptions: got.MFAOptions } : {}),
      });
    }
    for (const Limit of [undefined, 1, 2, 5]) {
      const seen: unknown[] = [];
      let NextToken: string | undefined;
      do {
        const input = { UserPoolId: pool, GroupName: 'crew', Limit, NextToken };
        const r = await rawCall(t.url, 'ListUsersInGroup', input);
        const direct = jsonTextOf(await listUsersInGroup(t.app, input));
        const want = expected.slice(seen.length, seen.length + (Limit ?? 60));
        seen.push(...want);
        const next: string | undefined = seen.length < expected.length ? r.json.NextToken : undefined;
        assert.equal(r.text, JSON.stringify({ Users: want, ...(next ? { NextToken: next } : {}) }), `Limit ${Limit}`);
        assert.equal(direct, r.text);
        NextToken = next;
      } while (NextToken);
    }
    const none = await rawCall(t.url, 'ListUsersInGroup', { UserPoolId: pool, GroupName: 'nobody' });
    assert.equal(none.json.__type, 'ResourceNotFoundException');
    await assert.rejects(listUsersInGroup(t.app, { UserPoolId: pool, GroupName: 'nobody' }), { type: none.json.__type, message: none.json.message });
    await assert.rejects(listUsersInGroup(t.app, { UserPoolId: pool, GroupName: 'crew', NextToken: 'garbage' }), { type: 'InvalidParameterException' });
  });

  test('prefix filters on sub, status and indexed attributes page in the order of the filtered value', async () => {
    const every = (await rawCall(t.url, 'ListUsers', { UserPoolId: pool })).json.Users as any[];
    const value = (u: any, name: string) => u.Attributes.find((a: any) => a.Name === name)?.Value;
    const byte = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    for (const [Filter, order] of [
      ['sub ^= ""', (u: any) => value(u, 'sub')],
      ['email ^= ""', (u: any) => value(u, 'email')],
      ['cognito:user_status ^= "F"', (u: any) => u.UserStatus],
      ['status ^= "Dis"', (u: any) => u.Username],
    ] as const) {
      const seen: any[] = [];
      let token: string | undefined;
      do {
        const r = await rawCall(t.url, 'ListUsers', { UserPoolId: pool, Filter, Limit: 2, PaginationToken: token });
        assert.equal(r.status, 200, r.text);
        seen.push(...r.json.Users);
        token = r.json.PaginationToken;
      } while (token);
      const names = seen.map((u) => u.Username);
      assert.equal(new Set(names).size, names.length, `${Filter}: a user listed twice`);
      const wanted = every.filter((u) => (Filter.startsWith('status') ? !u.Enabled : order(u) !== undefined && order(u).startsWith(Filter.split('"')[1])));
      assert.deepEqual([...names].sort(), wanted.map((u) => u.Username).sort(), Filter);
      const keys = seen.map(order);
      assert.deepEqual(keys, [...keys].sort(byte), `${Filter}: pages in the order of the value`);
    }
  });
});

// The rows' own text against userTypesJson of the parsed users, on rows made to hit every case of
// the copy: what it copies must be the very bytes, and what it cannot copy it must leave.
describe('ListUsers written from the rows', () => {
  const row = (username: string, attributes: string, o: Partial<{ status: string; enabled: number; created: number; updated: number; key: string; data: string }> = {}): ListedRow => [
    username, attributes, o.status ?? 'CONFIRMED', o.enabled ?? 1, o.created ?? 1765081234567, o.updated ?? o.created ?? 1765081234567,
    o.key === undefined && o.data === undefined ? null : `${o.data ?? '{}'}\u0001${o.key ?? username}`,
  ];
  const parsed = (rows: ListedRow[]) => userTypesJson(rows.map((r) => listedUser('us-east-1_AAAAAAAAA', r)));
  const sub = '0b8c1a4e-1111-4000-8000-000000000000';

  test('plain rows are copied; rows whose text needs parsing are left to userTypesJson', () => {
    const copied = [
      row('alice', JSON.stringify({ sub, email: 'a@example.com', name: 'Zoë 😀 \u2028 </script>' })),
      row('bob', JSON.stringify({ email: 'b@example.com', 'custom:x': '' }), { enabled: 0, status: 'FORCE_CHANGE_PASSWORD', key: 'BOB' }),
      row('carol', '{}', { created: 1765081234000, updated: 1765081234500 }),
      row('dave', JSON.stringify({ sub, __proto__x: 'p' }), { created: 1765081234050, updated: 1765081234005, status: 'SOMETHING_ELSE' }),
      row('erin', JSON.stringify({ sub }), { data: JSON.stringify({ mfa: { MFAOptions: [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }] } }) }),
      row('fay', JSON.stringify({ sub }), { data: JSON.stringify({ mfa: { MFAOptions: [] }, other: 1 }), created: 0, updated: 5 }),
    ];
    for (const r of copied) assert.equal(userTypesJsonOfRows([r], 1), parsed([r]), r[0]);
    assert.equal(userTypesJsonOfRows(copied, copied.length), parsed(copied));
    assert.equal(userTypesJsonOfRows(copied, 2), parsed(copied.slice(0, 2)), 'only the first `count` rows');
    assert.equal(userTypesJsonOfRows([], 0), '[]');

    const left = [
      row('q"uote', JSON.stringify({ sub })),
      row('lone\ud800', JSON.stringify({ sub })),
      row('emoji😀', JSON.stringify({ sub })),
      row('esc', JSON.stringify({ sub, v: 'q"uote' })),
      row('esc2', JSON.stringify({ sub, v: 'a\\b\n\t\u0001 \ud800' })),
      row('late-sub', JSON.stringify({ email: 'x', sub })),
      row('index-name', `{"sub":"${sub}","b":"x","7":"seven"}`),
      row('digit-name', JSON.stringify({ sub, '1a': 'x' })),
    ];
    for (const r of left) {
      assert.equal(userTypesJsonOfRows([r], 1), undefined, r[0]);
      assert.equal(userTypesJsonOfRows([copied[0], r], 2), undefined, `${r[0]} after a plain row`);
    }
    // userTypesJson's own answers for two of them: sub moved first, then an index-like name first.
    assert.match(parsed([left[5]]), /"Attributes":\[\{"Name":"sub".*\{"Name":"email"/);
    assert.match(parsed([left[6]]), /"Attributes":\[\{"Name":"sub".*\{"Name":"7".*\{"Name":"b"/);
  });

  test('attribute text not in JSON.stringify form is never copied', () => {
    for (const text of ['{"a":1}', '{"a":"b" }', '{ "a":"b"}', '{"a":"b",}', '{"a":"b""c":"d"}', '{"a":"b"}x', '{"a":"b\u0001"}', '{"a":null}', '{"a":["b"]}', '["a"]', '{', '']) {
      assert.equal(attributeListJson(text), undefined, text);
    }
    assert.equal(attributeListJson('{}'), '[]');
    assert.equal(attributeListJson('{"a":"","":"b"}'), '[{"Name":"a","Value":""},{"Name":"","Value":"b"}]');
  });

  test('fuzz: random attributes and times give userTypesJson\'s bytes', () => {
    const chars = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\u0001', '\u001f', '\u007f', 'é', '\u2028', '😀', '\ud800', '\udfff', ':', ',', '{', '}', '[', '/', '<'];
    let seed = 17;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const text = (max: number) => Array.from({ length: rand(max) }, () => chars[rand(chars.length)]).join('');
    let copiedRows = 0;
    for (let i = 0; i < 3000; i++) {
      const attrs: Record<string, string> = {};
      if (rand(4) > 0) attrs.sub = sub;
      const tricky = rand(3) === 0;
      for (let k = rand(5); k > 0; k--) attrs[rand(3) ? `custom:${tricky ? text(4) : k}` : tricky ? text(3) : `n${k}`] = tricky && rand(2) ? text(12) : `plain value ${k} é 😀`;
      if (rand(8) === 0) attrs.sub = sub; // sub last, or where it was
      const created = rand(3) ? 1765000000000 + rand(2000000) : rand(2) ? rand(2000) : rand(1000) + 0.5;
      const r = row(rand(6) ? `user${i}` : text(6) || 'x', JSON.stringify(attrs), { created, updated: created + (rand(2) ? 0 : rand(5000)), enabled: rand(2) });
      const got = userTypesJsonOfRows([r], 1);
      if (got !== undefined) {
        copiedRows++;
        assert.equal(got, parsed([r]), JSON.stringify(r));
      }
    }
    assert.ok(copiedRows > 500, `only ${copiedRows} rows copied`);
  });

  test('epochSeconds is the JavaScript text of ms / 1000', () => {
    const samples = [0, 1, 5, 10, 100, 999, 1000, 1001, 1010, 1100, 1765081234000, 1765081234500, 1765081234050, 1765081234005, 1765081234567, 1e15 - 1, 1e15, 1e15 + 1, 2 ** 53, 1.5, -1, -1500, NaN, Infinity, -Infinity];
    let seed = 5;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      samples.push(Math.floor((seed / 2147483648) * 10 ** (1 + (i % 15))));
    }
    for (const ms of samples) assert.equal(epochSeconds(ms), Number.isFinite(ms) ? `${ms / 1000}` : 'null', String(ms));
  });
});
