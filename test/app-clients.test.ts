import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteUserPoolClientCommand,
  DescribeUserPoolClientCommand,
  ListUserPoolClientsCommand,
  UpdateUserPoolClientCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';
import { allowedAuthFlows, tokenValidity } from '../src/domain/pools/app-clients.ts';
import type { AppClient } from '../src/domain/types.ts';

const cli = (t: Running, ...args: string[]) => aws(t.url, ['cognito-idp', ...args]);

describe('app clients over the AWS CLI', needs('aws'), () => {
  let t: Running;
  let poolId: string;
  before(async () => {
    t = await startTestServer();
    poolId = (await cli(t, 'create-user-pool', '--pool-name', 'Test user pool')).json.UserPool.Id;
  });
  after(() => t.close());

  test('seed 001: create, list, describe, then update the explicit auth flows of client1', async () => {
    const created = await cli(t, 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'client1');
    assert.equal(created.code, 0, created.stderr);
    const c = created.json.UserPoolClient;
    assert.match(c.ClientId, /^[a-z0-9]{26}$/);
    // What seed 001's create-user-pool-client printed, field for field.
    assert.equal(c.AllowedOAuthFlowsUserPoolClient, false);
    assert.equal(c.ClientName, 'client1');
    assert.equal(c.EnableTokenRevocation, true);
    assert.equal(c.RefreshTokenValidity, 30);
    assert.deepEqual(c.TokenValidityUnits, {});
    assert.equal(c.UserPoolId, poolId);
    assert.match(c.CreationDate, /^\d{4}-\d\d-\d\dT/);
    assert.equal(c.LastModifiedDate, c.CreationDate);
    assert.equal(c.ClientSecret, undefined);
    assert.equal(c.ExplicitAuthFlows, undefined);
    assert.equal(c.AuthSessionValidity, 3);

    const listed = await cli(t, 'list-user-pool-clients', '--user-pool-id', poolId);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.json.UserPoolClients, [{ ClientId: c.ClientId, ClientName: 'client1', UserPoolId: poolId }]);

    const described = await cli(t, 'describe-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId);
    assert.equal(described.code, 0, described.stderr);
    assert.deepEqual(described.json.UserPoolClient, c);

    const updated = await cli(
      t, 'update-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId,
      '--explicit-auth-flows', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH',
    );
    assert.equal(updated.code, 0, updated.stderr);
    const u = updated.json.UserPoolClient;
    // Seed 001 shows the flows back in sorted order and the name kept.
    assert.deepEqual(u.ExplicitAuthFlows, ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    assert.equal(u.ClientName, 'client1');
    assert.equal(u.RefreshTokenValidity, 30);
    assert.deepEqual(u.TokenValidityUnits, {});
    assert.equal(u.CreationDate, c.CreationDate);
    const again = await cli(t, 'describe-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId);
    assert.deepEqual(again.json.UserPoolClient.ExplicitAuthFlows, ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
  });

  test('seed 000: a client without secret for COGNITO in ap-northeast-1', async () => {
    const pool = await aws(t.url, ['cognito-idp', 'create-user-pool', '--pool-name', 'MyUserPool', '--region', 'ap-northeast-1']);
    const id = pool.json.UserPool.Id;
    const r = await aws(t.url, [
      'cognito-idp', 'create-user-pool-client',
      '--user-pool-id', id,
      '--client-name', 'MyAppClient',
      '--no-generate-secret',
      '--supported-identity-providers', 'COGNITO',
      '--region', 'ap-northeast-1',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const c = r.json.UserPoolClient;
    assert.equal(c.UserPoolId, id);
    assert.equal(c.ClientName, 'MyAppClient');
    assert.match(c.ClientId, /^[a-z0-9]{26}$/);
    assert.deepEqual(c.SupportedIdentityProviders, ['COGNITO']);
    assert.equal(c.ClientSecret, undefined);
  });

  test('a generated secret: 51 characters, shown by create and describe, never by list', async () => {
    const r = await cli(t, 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'server', '--generate-secret');
    assert.equal(r.code, 0, r.stderr);
    const c = r.json.UserPoolClient;
    assert.match(c.ClientSecret, /^[a-z0-9]{51}$/);
    const d = await cli(t, 'describe-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId);
    assert.equal(d.json.UserPoolClient.ClientSecret, c.ClientSecret);
    const l = await cli(t, 'list-user-pool-clients', '--user-pool-id', poolId);
    assert.ok(l.stdout.includes(c.ClientId));
    assert.ok(!l.stdout.includes(c.ClientSecret));
    // An update keeps the secret.
    const u = await cli(t, 'update-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId, '--client-name', 'server2');
    assert.equal(u.json.UserPoolClient.ClientSecret, c.ClientSecret);
    assert.equal(u.json.UserPoolClient.ClientName, 'server2');
  });

  test('the CLI pages through list-user-pool-clients with NextToken', async () => {
    const pool = (await cli(t, 'create-user-pool', '--pool-name', 'paged')).json.UserPool.Id;
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      ids.push((await cli(t, 'create-user-pool-client', '--user-pool-id', pool, '--client-name', name)).json.UserPoolClient.ClientId);
    }
    // --page-size 1 makes the CLI ask one client at a time and follow NextToken to the end.
    const r = await cli(t, 'list-user-pool-clients', '--user-pool-id', pool, '--page-size', '1');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.UserPoolClients.map((c: any) => c.ClientId).sort(), ids.sort());
    // --max-results alone gives one page and its NextToken.
    const one = await cli(t, 'list-user-pool-clients', '--user-pool-id', pool, '--max-results', '2');
    assert.equal(one.json.UserPoolClients.length, 2);
    assert.equal(typeof one.json.NextToken, 'string');
    const rest = await cli(t, 'list-user-pool-clients', '--user-pool-id', pool, '--max-results', '2', '--next-token', one.json.NextToken);
    assert.equal(rest.json.UserPoolClients.length, 1);
    assert.equal(rest.json.NextToken, undefined);
  });

  test('errors: unknown pool, unknown client, bad ranges, bad flows', async () => {
    const noPool = await cli(t, 'create-user-pool-client', '--user-pool-id', 'us-east-1_nope12345', '--client-name', 'x');
    assert.match(noPool.stderr, /\(ResourceNotFoundException\) when calling the CreateUserPoolClient operation: User pool us-east-1_nope12345 does not exist\./);

    const noClient = await cli(t, 'describe-user-pool-client', '--user-pool-id', poolId, '--client-id', 'abcdefghijklmnopqrstuvwxyz');
    assert.match(noClient.stderr, /\(ResourceNotFoundException\) when calling the DescribeUserPoolClient operation: User pool client abcdefghijklmnopqrstuvwxyz does not exist\./);

    const range = await cli(t, 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'x', '--access-token-validity', '25');
    assert.match(range.stderr, /\(InvalidParameterException\) when calling the CreateUserPoolClient operation: Invalid range for token validity\./);

    const noRefresh = await cli(t, 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'x', '--explicit-auth-flows', 'ALLOW_USER_SRP_AUTH');
    assert.match(noRefresh.stderr, /\(InvalidParameterException\) when calling the CreateUserPoolClient operation: REFRESH_TOKEN_AUTH should always be allowed\./);

    const mixed = await cli(
      t, 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'x',
      '--explicit-auth-flows', 'ADMIN_NO_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH',
    );
    assert.match(mixed.stderr, /InvalidParameterException.*Values with ALLOW_ prefix cannot be used along with values without ALLOW_ prefix\./);

    const badEnum = await cli(t, 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'x', '--explicit-auth-flows', 'NOT_A_FLOW');
    assert.match(badEnum.stderr, /InvalidParameterException/);

    // None of the refused clients was stored.
    const l = await cli(t, 'list-user-pool-clients', '--user-pool-id', poolId);
    assert.ok(l.json.UserPoolClients.every((c: any) => c.ClientName !== 'x'));
  });

  test('delete-user-pool-client, then the client is gone', async () => {
    const c = (await cli(t, 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'doomed')).json.UserPoolClient;
    const del = await cli(t, 'delete-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId);
    assert.equal(del.code, 0, del.stderr);
    assert.equal(del.stdout.trim(), '');
    const gone = await cli(t, 'describe-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId);
    assert.match(gone.stderr, /ResourceNotFoundException.*does not exist/);
    const twice = await cli(t, 'delete-user-pool-client', '--user-pool-id', poolId, '--client-id', c.ClientId);
    assert.match(twice.stderr, /\(ResourceNotFoundException\) when calling the DeleteUserPoolClient operation: User pool client .* does not exist\./);
  });
});

describe('app clients over the JS SDK v3', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  let poolId: string;
  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
    const pool = await sdk.send(
      new CreateUserPoolCommand({
        PoolName: 'sdk',
        Schema: [{ Name: 'tier', AttributeDataType: 'String', Mutable: true }],
      }),
    );
    poolId = pool.UserPool!.Id!;
  });
  after(() => t.close());

  const create = (input: Record<string, unknown>) =>
    sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app', ...input }));

  test('every field is stored and echoed', async () => {
    const input = {
      GenerateSecret: true,
      RefreshTokenValidity: 10,
      AccessTokenValidity: 15,
      IdTokenValidity: 2,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'hours', RefreshToken: 'days' },
      ReadAttributes: ['email', 'email_verified', 'custom:tier'],
      WriteAttributes: ['email', 'custom:tier'],
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: ['https://app.example.com/cb', 'http://localhost:3000/cb'],
      LogoutURLs: ['https://app.example.com/bye'],
      DefaultRedirectURI: 'https://app.example.com/cb',
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      AllowedOAuthFlowsUserPoolClient: true,
      AnalyticsConfiguration: { ApplicationId: 'abcdef0123456789', RoleArn: 'arn:aws:iam::000000000000:role/pinpoint', UserDataShared: true },
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: false,
      EnablePropagateAdditionalUserContextData: false,
      AuthSessionValidity: 15,
      RefreshTokenRotation: { Feature: 'ENABLED', RetryGracePeriodSeconds: 30 },
    } as const;
    const { UserPoolClient: c } = await create(input);
    assert.ok(c?.ClientSecret);
    const { UserPoolClient: d } = await sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: c!.ClientId }));
    for (const [k, v] of Object.entries(input)) {
      if (k === 'GenerateSecret') continue;
      const got = (d as Record<string, unknown>)[k];
      if (k === 'ExplicitAuthFlows') assert.deepEqual(got, [...(v as unknown as string[])].sort(), k);
      else assert.deepEqual(got, v, k);
    }
    assert.ok(d!.CreationDate instanceof Date);
    assert.equal(d!.ClientSecret, c!.ClientSecret);
  });

  test('update replaces the settings: omitted ones return to their defaults, the secret stays', async () => {
    const { UserPoolClient: c } = await create({
      GenerateSecret: true,
      AccessTokenValidity: 5,
      TokenValidityUnits: { AccessToken: 'minutes' },
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      ReadAttributes: ['email'],
      AuthSessionValidity: 10,
    });
    const { UserPoolClient: u } = await sdk.send(
      new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: c!.ClientId, ClientName: 'renamed' }),
    );
    assert.equal(u!.ClientName, 'renamed');
    assert.equal(u!.ClientSecret, c!.ClientSecret);
    assert.equal(u!.AccessTokenValidity, undefined);
    assert.deepEqual(u!.TokenValidityUnits, {});
    assert.equal(u!.ExplicitAuthFlows, undefined);
    assert.equal(u!.PreventUserExistenceErrors, undefined);
    assert.equal(u!.ReadAttributes, undefined);
    assert.equal(u!.AuthSessionValidity, 3);
    assert.equal(u!.RefreshTokenValidity, 30);
    assert.equal(u!.EnableTokenRevocation, true);
    assert.ok(u!.LastModifiedDate!.getTime() >= u!.CreationDate!.getTime());
  });

  test('token validity ranges count in the given unit', async () => {
    // 1 day of access token is the maximum; 25 hours is not.
    await create({ AccessTokenValidity: 1, TokenValidityUnits: { AccessToken: 'days' } });
    await create({ AccessTokenValidity: 300, IdTokenValidity: 86400, TokenValidityUnits: { AccessToken: 'seconds', IdToken: 'seconds' } });
    await create({ RefreshTokenValidity: 60, TokenValidityUnits: { RefreshToken: 'minutes' } });
    await create({ RefreshTokenValidity: 3650 });
    const bad = [
      { AccessTokenValidity: 25 },
      { IdTokenValidity: 299, TokenValidityUnits: { IdToken: 'seconds' } },
      { RefreshTokenValidity: 59, TokenValidityUnits: { RefreshToken: 'minutes' } },
      { RefreshTokenValidity: 3651 },
    ];
    for (const input of bad) {
      const e = await sdkError(create(input));
      assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Invalid range for token validity.' }, JSON.stringify(input));
    }
    // RefreshTokenValidity 0 means the default, 30 days.
    const { UserPoolClient: zero } = await create({ RefreshTokenValidity: 0 });
    assert.equal(zero!.RefreshTokenValidity, 30);
    // An access token cannot outlive the refresh token.
    const longer = await sdkError(
      create({ RefreshTokenValidity: 1, AccessTokenValidity: 2, TokenValidityUnits: { RefreshToken: 'hours', AccessToken: 'hours' } }),
    );
    assert.equal(longer.name, 'InvalidParameterException');
  });

  test('AuthSessionValidity must be 3 to 15 minutes', async () => {
    assert.equal((await create({ AuthSessionValidity: 3 })).UserPoolClient!.AuthSessionValidity, 3);
    assert.equal((await sdkError(create({ AuthSessionValidity: 16 }))).name, 'InvalidParameterException');
  });

  test('read and write attributes must exist in the pool schema', async () => {
    assert.deepEqual(await sdkError(create({ ReadAttributes: ['custom:nope'] })), {
      name: 'InvalidParameterException',
      message: 'Invalid read attributes specified while creating a client',
    });
    assert.deepEqual(await sdkError(create({ WriteAttributes: ['custom:nope'] })), {
      name: 'InvalidParameterException',
      message: 'Invalid write attributes specified while creating a client',
    });
    const { UserPoolClient: c } = await create({});
    assert.deepEqual(
      await sdkError(sdk.send(new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: c!.ClientId, WriteAttributes: ['sub'] }))),
      { name: 'InvalidParameterException', message: 'Invalid write attributes specified while updating a client' },
    );
  });

  test('OAuth consistency checks', async () => {
    // A code flow needs callback URLs; Cognito names this one InvalidOAuthFlowException
    // (cisagov/crossfeed#440; exact texts in error-texts.test.ts).
    const noCallbacks = await sdkError(create({ AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'], AllowedOAuthScopes: ['openid'] }));
    assert.equal(noCallbacks.name, 'InvalidOAuthFlowException');
    const cases: Array<Record<string, unknown>> = [
      // client_credentials needs a secret.
      { AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['client_credentials'], AllowedOAuthScopes: ['api/read'] },
      // OAuth flows without AllowedOAuthFlowsUserPoolClient.
      { AllowedOAuthFlows: ['code'], AllowedOAuthScopes: ['openid'], CallbackURLs: ['https://a.example/cb'] },
      // Plain http is for localhost only.
      { CallbackURLs: ['http://app.example.com/cb'] },
      // The default redirect must be a callback URL.
      { CallbackURLs: ['https://a.example/cb'], DefaultRedirectURI: 'https://b.example/cb' },
      // Only COGNITO or providers of the pool.
      { SupportedIdentityProviders: ['Google'] },
    ];
    for (const input of cases) {
      assert.equal((await sdkError(create(input))).name, 'InvalidParameterException', JSON.stringify(input));
    }
    // A resource-server scope may be named once its server exists (resource-servers.test.ts).
    await sdk.send(new CreateResourceServerCommand({ UserPoolId: poolId, Identifier: 'api', Name: 'api', Scopes: [{ ScopeName: 'read', ScopeDescription: 'read' }] }));
    const m2m = await create({
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: ['api/read'],
    });
    assert.deepEqual(m2m.UserPoolClient!.AllowedOAuthFlows, ['client_credentials']);
    const scope = await sdkError(
      create({ AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['implicit'], AllowedOAuthScopes: ['Cognito'], CallbackURLs: ['https://a.example/cb'] }),
    );
    assert.deepEqual(scope, { name: 'ScopeDoesNotExistException', message: 'Invalid scope requested: Cognito' });
    const idp = await sdkError(create({ SupportedIdentityProviders: ['Google'] }));
    assert.equal(idp.message, `The provider Google does not exist for User Pool ${poolId}`);
  });

  test('ListUserPoolClients pages with MaxResults and NextToken; MaxResults is 1 to 60', async () => {
    const pool = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'paging' }))).UserPool!.Id!;
    const made = new Set<string>();
    for (let i = 0; i < 5; i++) {
      made.add((await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: `c${i}` }))).UserPoolClient!.ClientId!);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await sdk.send(new ListUserPoolClientsCommand({ UserPoolId: pool, MaxResults: 2, NextToken: token }));
      assert.ok(r.UserPoolClients!.length <= 2);
      for (const c of r.UserPoolClients!) {
        assert.deepEqual(Object.keys(c).sort(), ['ClientId', 'ClientName', 'UserPoolId']);
        seen.push(c.ClientId!);
      }
      token = r.NextToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(new Set(seen), made);
    assert.equal(seen.length, 5);
    const tooMany = await rawCall(t.url, 'ListUserPoolClients', { UserPoolId: pool, MaxResults: 61 });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.json.__type, 'InvalidParameterException');
    const badToken = await sdkError(sdk.send(new ListUserPoolClientsCommand({ UserPoolId: pool, NextToken: 'garbage!' })));
    assert.equal(badToken.name, 'InvalidParameterException');
  });

  test('a client of another pool is not found; deleting the pool deletes its clients', async () => {
    const other = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'other' }))).UserPool!.Id!;
    const { UserPoolClient: c } = await create({});
    for (const cmd of [
      new DescribeUserPoolClientCommand({ UserPoolId: other, ClientId: c!.ClientId }),
      new UpdateUserPoolClientCommand({ UserPoolId: other, ClientId: c!.ClientId }),
      new DeleteUserPoolClientCommand({ UserPoolId: other, ClientId: c!.ClientId }),
    ]) {
      assert.deepEqual(await sdkError(sdk.send(cmd as any)), {
        name: 'ResourceNotFoundException',
        message: `User pool client ${c!.ClientId} does not exist.`,
      });
    }
    const unknownPool = await sdkError(sdk.send(new ListUserPoolClientsCommand({ UserPoolId: 'us-east-1_zzzzzzzzz' })));
    assert.deepEqual(unknownPool, { name: 'ResourceNotFoundException', message: 'User pool us-east-1_zzzzzzzzz does not exist.' });
    // The client still works in its own pool.
    await sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: c!.ClientId }));

    const doomed = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'doomed' }))).UserPool!.Id!;
    const dc = (await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: doomed, ClientName: 'x' }))).UserPoolClient!;
    await rawCall(t.url, 'DeleteUserPool', { UserPoolId: doomed });
    assert.equal(await t.app.store.clients.get(dc.ClientId!), undefined);
  });
});

describe('what the sign-in code reads from a client', () => {
  const client = (config: AppClient['config']): AppClient => ({
    clientId: 'c', poolId: 'p', config, clientSecret: null, createdAt: 0, updatedAt: 0,
  });

  test('token validity in seconds, with the default units and values', () => {
    assert.deepEqual(tokenValidity(client({ RefreshTokenValidity: 30, TokenValidityUnits: {} })), {
      access: 3600, id: 3600, refresh: 30 * 86400,
    });
    assert.deepEqual(
      tokenValidity(client({ RefreshTokenValidity: 60, AccessTokenValidity: 2, IdTokenValidity: 10, TokenValidityUnits: { IdToken: 'minutes', RefreshToken: 'minutes' } })),
      { access: 7200, id: 600, refresh: 3600 },
    );
  });

  test('allowed flows: the default set, ALLOW_* as given, legacy names translated', () => {
    assert.deepEqual([...allowedAuthFlows(client({}))].sort(), ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    assert.deepEqual(
      [...allowedAuthFlows(client({ ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))].sort(),
      ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    );
    assert.ok(allowedAuthFlows(client({ ExplicitAuthFlows: ['ADMIN_NO_SRP_AUTH'] })).has('ALLOW_ADMIN_USER_PASSWORD_AUTH'));
    assert.ok(!allowedAuthFlows(client({ ExplicitAuthFlows: ['CUSTOM_AUTH_FLOW_ONLY'] })).has('ALLOW_USER_SRP_AUTH'));
  });
});

test("a client's settings read outside a transaction are shared and frozen, and follow every change of the row", async () => {
  const t = await startTestServer();
  try {
    const sdk = idpClient(t.url);
    const pool = await sdk.send(new CreateUserPoolCommand({ PoolName: 'shared-settings' }));
    const poolId = pool.UserPool!.Id!;
    const made = await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'first' }));
    const clientId = made.UserPoolClient!.ClientId!;
    const read = await t.app.store.clients.get(clientId);
    assert.ok(Object.isFrozen(read!.config));
    assert.throws(() => {
      (read!.config as { ClientName?: string }).ClientName = 'changed in place';
    }, TypeError);
    assert.equal((await t.app.store.clients.get(clientId))!.config, read!.config);
    // A transaction gets a copy of its own to change.
    await t.app.store.tx(async (s) => assert.equal(Object.isFrozen((await s.clients.get(clientId))!.config), false));
    // Another node's write (straight to the row) is seen by the next read.
    const row = await t.app.store.db.get<{ config: string }>('SELECT config FROM user_pool_clients WHERE client_id = ?', [clientId]);
    await t.app.store.db.run('UPDATE user_pool_clients SET config = ? WHERE client_id = ?', [JSON.stringify({ ...JSON.parse(row!.config), ClientName: 'renamed elsewhere' }), clientId]);
    assert.equal((await t.app.store.clients.get(clientId))!.config.ClientName, 'renamed elsewhere');
    await sdk.send(new UpdateUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId, ClientName: 'renamed here' }));
    const described = await sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }));
    assert.equal(described.UserPoolClient!.ClientName, 'renamed here');
  } finally {
    await t.close();
  }
});
