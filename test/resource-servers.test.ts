import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateResourceServerCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DeleteResourceServerCommand,
  DeleteUserPoolCommand,
  DescribeResourceServerCommand,
  DescribeUserPoolClientCommand,
  ListResourceServersCommand,
  UpdateResourceServerCommand,
  UpdateUserPoolClientCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';
import { MAX_RESOURCE_SERVERS_PER_POOL, resourceServerScopes } from '../src/domain/pools/resource-servers.ts';

describe('resource servers', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  const newPool = async (name: string) => (await sdk.send(new CreateUserPoolCommand({ PoolName: name }))).UserPool!.Id!;

  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
  });
  after(() => t.close());

  test('create, describe, update, list and delete with the JS SDK', async () => {
    const pool = await newPool('rs');
    const created = await sdk.send(
      new CreateResourceServerCommand({
        UserPoolId: pool,
        Identifier: 'https://api.example.com',
        Name: 'Orders API',
        Scopes: [
          { ScopeName: 'orders.read', ScopeDescription: 'Read orders' },
          { ScopeName: 'orders.write', ScopeDescription: 'Write orders' },
        ],
      }),
    );
    const want = {
      UserPoolId: pool,
      Identifier: 'https://api.example.com',
      Name: 'Orders API',
      Scopes: [
        { ScopeName: 'orders.read', ScopeDescription: 'Read orders' },
        { ScopeName: 'orders.write', ScopeDescription: 'Write orders' },
      ],
    };
    assert.deepEqual(created.ResourceServer, want);
    assert.deepEqual((await sdk.send(new DescribeResourceServerCommand({ UserPoolId: pool, Identifier: 'https://api.example.com' }))).ResourceServer, want);

    // A server without scopes answers an empty list.
    const bare = await sdk.send(new CreateResourceServerCommand({ UserPoolId: pool, Identifier: 'billing', Name: 'Billing' }));
    assert.deepEqual(bare.ResourceServer, { UserPoolId: pool, Identifier: 'billing', Name: 'Billing', Scopes: [] });

    // Update replaces the name and every scope.
    const updated = await sdk.send(
      new UpdateResourceServerCommand({ UserPoolId: pool, Identifier: 'billing', Name: 'Billing v2', Scopes: [{ ScopeName: 'pay', ScopeDescription: 'Pay' }] }),
    );
    assert.deepEqual(updated.ResourceServer, { UserPoolId: pool, Identifier: 'billing', Name: 'Billing v2', Scopes: [{ ScopeName: 'pay', ScopeDescription: 'Pay' }] });
    const cleared = await sdk.send(new UpdateResourceServerCommand({ UserPoolId: pool, Identifier: 'billing', Name: 'Billing v3' }));
    assert.deepEqual(cleared.ResourceServer!.Scopes, []);

    const listed = await sdk.send(new ListResourceServersCommand({ UserPoolId: pool, MaxResults: 50 }));
    assert.deepEqual(listed.ResourceServers!.map((r) => r.Identifier), ['billing', 'https://api.example.com']);
    assert.equal(listed.NextToken, undefined);

    assert.deepEqual(new Set(await resourceServerScopes(t.app.store, pool)), new Set(['https://api.example.com/orders.read', 'https://api.example.com/orders.write']));

    await sdk.send(new DeleteResourceServerCommand({ UserPoolId: pool, Identifier: 'billing' }));
    const gone = await sdkError(sdk.send(new DescribeResourceServerCommand({ UserPoolId: pool, Identifier: 'billing' })));
    assert.equal(gone.name, 'ResourceNotFoundException');
  });

  test('refusals: unknown pool and server, a taken identifier, duplicate scope names, the model limits', async () => {
    const pool = await newPool('rs-refusals');
    const missing = 'us-east-1_NoSuchPoo';
    assert.deepEqual(await sdkError(sdk.send(new CreateResourceServerCommand({ UserPoolId: missing, Identifier: 'a', Name: 'a' }))), {
      name: 'ResourceNotFoundException',
      message: `User pool ${missing} does not exist.`,
    });
    assert.deepEqual(await sdkError(sdk.send(new ListResourceServersCommand({ UserPoolId: missing }))), {
      name: 'ResourceNotFoundException',
      message: `User pool ${missing} does not exist.`,
    });
    for (const send of [
      () => sdk.send(new DescribeResourceServerCommand({ UserPoolId: pool, Identifier: 'nope' })),
      () => sdk.send(new UpdateResourceServerCommand({ UserPoolId: pool, Identifier: 'nope', Name: 'n' })),
      () => sdk.send(new DeleteResourceServerCommand({ UserPoolId: pool, Identifier: 'nope' })),
    ]) {
      const e = await sdkError(send());
      assert.equal(e.name, 'ResourceNotFoundException');
      assert.match(e.message, /nope/);
    }

    await sdk.send(new CreateResourceServerCommand({ UserPoolId: pool, Identifier: 'api', Name: 'api' }));
    const taken = await sdkError(sdk.send(new CreateResourceServerCommand({ UserPoolId: pool, Identifier: 'api', Name: 'again' })));
    assert.equal(taken.name, 'InvalidParameterException');
    assert.match(taken.message, /api/);

    const dup = await sdkError(
      sdk.send(
        new CreateResourceServerCommand({
          UserPoolId: pool,
          Identifier: 'dup',
          Name: 'dup',
          Scopes: [
            { ScopeName: 'x', ScopeDescription: 'one' },
            { ScopeName: 'x', ScopeDescription: 'two' },
          ],
        }),
      ),
    );
    assert.equal(dup.name, 'InvalidParameterException');

    // The model's constraints: a scope name has no '/', a name its own characters, 100 scopes at most.
    const slash = await rawCall(t.url, 'CreateResourceServer', { UserPoolId: pool, Identifier: 'x', Name: 'x', Scopes: [{ ScopeName: 'a/b', ScopeDescription: 'd' }] });
    assert.equal(slash.status, 400);
    assert.equal(slash.json.__type, 'InvalidParameterException');
    assert.match(slash.json.message, /Scopes\.1\.member\.scopeName|failed to satisfy constraint/);
    const badName = await rawCall(t.url, 'CreateResourceServer', { UserPoolId: pool, Identifier: 'x', Name: 'a<b>' });
    assert.equal(badName.json.__type, 'InvalidParameterException');
    const tooMany = Array.from({ length: 101 }, (_, i) => ({ ScopeName: `s${i}`, ScopeDescription: 'd' }));
    assert.equal((await rawCall(t.url, 'CreateResourceServer', { UserPoolId: pool, Identifier: 'x', Name: 'x', Scopes: tooMany })).json.__type, 'InvalidParameterException');
    const page = await rawCall(t.url, 'ListResourceServers', { UserPoolId: pool, MaxResults: 51 });
    assert.equal(page.json.__type, 'InvalidParameterException');
  });

  test(`at most ${MAX_RESOURCE_SERVERS_PER_POOL} resource servers per pool, listed in pages`, async () => {
    const pool = await newPool('rs-limit');
    for (let i = 0; i < MAX_RESOURCE_SERVERS_PER_POOL; i++) {
      await sdk.send(new CreateResourceServerCommand({ UserPoolId: pool, Identifier: `api-${String(i).padStart(2, '0')}`, Name: `api ${i}` }));
    }
    const over = await sdkError(sdk.send(new CreateResourceServerCommand({ UserPoolId: pool, Identifier: 'one-more', Name: 'x' })));
    assert.equal(over.name, 'LimitExceededException');

    const seen: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await sdk.send(new ListResourceServersCommand({ UserPoolId: pool, MaxResults: 10, NextToken }));
      assert.ok(page.ResourceServers!.length <= 10);
      seen.push(...page.ResourceServers!.map((r) => r.Identifier!));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.equal(seen.length, MAX_RESOURCE_SERVERS_PER_POOL);
    assert.deepEqual(seen, [...seen].sort());
    assert.equal((await rawCall(t.url, 'ListResourceServers', { UserPoolId: pool, NextToken: 'garbage' })).json.__type, 'InvalidParameterException');
  });

  test('concurrent creates of one identifier: one wins, the others are refused, never a 500', async () => {
    const pool = await newPool('rs-race');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => rawCall(t.url, 'CreateResourceServer', { UserPoolId: pool, Identifier: 'race', Name: 'race' })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    for (const r of results.filter((r) => r.status !== 200)) assert.equal(r.json.__type, 'InvalidParameterException');
  });

  test("a client's AllowedOAuthScopes may name a resource-server scope only once it exists", async () => {
    const pool = await newPool('rs-clients');
    const m2m = {
      UserPoolId: pool,
      ClientName: 'm2m',
      GenerateSecret: true,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['client_credentials' as const],
      AllowedOAuthScopes: ['https://api.example.com/orders.read'],
    };
    assert.deepEqual(await sdkError(sdk.send(new CreateUserPoolClientCommand(m2m))), {
      name: 'ScopeDoesNotExistException',
      message: 'Invalid scope requested: https://api.example.com/orders.read',
    });
    await sdk.send(
      new CreateResourceServerCommand({
        UserPoolId: pool,
        Identifier: 'https://api.example.com',
        Name: 'Orders',
        Scopes: [{ ScopeName: 'orders.read', ScopeDescription: 'Read' }],
      }),
    );
    const client = (await sdk.send(new CreateUserPoolClientCommand(m2m))).UserPoolClient!;
    assert.deepEqual(client.AllowedOAuthScopes, ['https://api.example.com/orders.read']);

    // A scope the server does not define is refused on update too.
    const update = {
      UserPoolId: pool,
      ClientId: client.ClientId!,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['client_credentials' as const],
    };
    assert.equal(
      (await sdkError(sdk.send(new UpdateUserPoolClientCommand({ ...update, AllowedOAuthScopes: ['https://api.example.com/orders.write'] })))).name,
      'ScopeDoesNotExistException',
    );
    // Another pool's servers do not count.
    const other = await newPool('rs-other');
    assert.equal((await sdkError(sdk.send(new CreateUserPoolClientCommand({ ...m2m, UserPoolId: other })))).name, 'ScopeDoesNotExistException');

    // Deleting the server leaves the client as it was (Cognito does not touch its clients).
    await sdk.send(new DeleteResourceServerCommand({ UserPoolId: pool, Identifier: 'https://api.example.com' }));
    const after = await sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: pool, ClientId: client.ClientId! }));
    assert.deepEqual(after.UserPoolClient!.AllowedOAuthScopes, ['https://api.example.com/orders.read']);
    assert.equal((await resourceServerScopes(t.app.store, pool)).size, 0);
  });

  test('resource servers go with their pool', async () => {
    const pool = await newPool('rs-cascade');
    await sdk.send(new CreateResourceServerCommand({ UserPoolId: pool, Identifier: 'api', Name: 'api', Scopes: [{ ScopeName: 'r', ScopeDescription: 'r' }] }));
    await sdk.send(new DeleteUserPoolCommand({ UserPoolId: pool }));
    assert.equal((await t.app.store.resourceServers.all(pool)).length, 0);
  });

  test('the AWS CLI: create-resource-server with --scopes, describe, list, update, delete', needs('aws'), async () => {
    const pool = await newPool('rs-cli');
    const cli = (...args: string[]) => aws(t.url, ['cognito-idp', ...args]);
    const made = await cli(
      'create-resource-server', '--user-pool-id', pool, '--identifier', 'https://api.example.com', '--name', 'api',
      '--scopes', 'ScopeName=read,ScopeDescription=Read access', 'ScopeName=write,ScopeDescription=Write access',
    );
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(made.json.ResourceServer.Scopes, [
      { ScopeName: 'read', ScopeDescription: 'Read access' },
      { ScopeName: 'write', ScopeDescription: 'Write access' },
    ]);
    const again = await cli('create-resource-server', '--user-pool-id', pool, '--identifier', 'https://api.example.com', '--name', 'api');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /InvalidParameterException/);
    const described = await cli('describe-resource-server', '--user-pool-id', pool, '--identifier', 'https://api.example.com');
    assert.equal(described.json.ResourceServer.Name, 'api');
    const listed = await cli('list-resource-servers', '--user-pool-id', pool, '--max-results', '10');
    assert.equal(listed.json.ResourceServers.length, 1);
    const updated = await cli('update-resource-server', '--user-pool-id', pool, '--identifier', 'https://api.example.com', '--name', 'api2');
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual(updated.json.ResourceServer.Scopes, []);
    assert.equal((await cli('delete-resource-server', '--user-pool-id', pool, '--identifier', 'https://api.example.com')).code, 0);
    const missing = await cli('describe-resource-server', '--user-pool-id', pool, '--identifier', 'https://api.example.com');
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });
});
