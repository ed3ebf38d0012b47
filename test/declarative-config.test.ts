import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminListGroupsForUserCommand,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetGroupCommand,
  InitiateAuthCommand,
  ListGroupsCommand,
  ListUserPoolClientsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoIdentityClient, DescribeIdentityPoolCommand, GetIdentityPoolRolesCommand } from '@aws-sdk/client-cognito-identity';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';
import { aws, idpClient, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { derivedClientId, derivedIdentityPoolId, derivedPoolId } from '../src/declarative/from-cloudformation.ts';

const dir = mkdtempSync(join(tmpdir(), 'tobira-declarative-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Starts `tobira start` with these flags; resolves once it answers /health (or rejects with its output). */
async function start(flags: string[]): Promise<{ proc: Spawned; url: string }> {
  const port = await freePort();
  const proc = spawnTobira(['start', '--port', String(port), '--log-format', 'json', ...flags]);
  const url = `http://127.0.0.1:${port}`;
  await Promise.race([
    waitForHealth(url, 60_000),
    proc.exited.then(({ code }) => {
      throw new Error(`tobira exited ${code}: ${proc.output()}`);
    }),
  ]);
  return { proc, url };
}

/** Runs `tobira start` that must fail; returns its output. */
async function failingStart(flags: string[]): Promise<string> {
  const proc = spawnTobira(['start', '--port', '0', '--log-format', 'json', ...flags]);
  try {
    const { code } = await proc.exited;
    assert.equal(code, 1, proc.output());
    return proc.output();
  } finally {
    await stopSpawned(proc);
  }
}

/** The output once it holds the config summary line (the log is written asynchronously). */
async function summarised(proc: Spawned): Promise<string> {
  for (let i = 0; i < 600 && !/config applied/.test(proc.output()); i++) await new Promise((r) => setTimeout(r, 100));
  return proc.output();
}

async function stop(proc: Spawned): Promise<void> {
  proc.child.kill('SIGTERM');
  await proc.exited;
}

const secretHash = (username: string, clientId: string, secret: string) => createHmac('sha256', secret).update(username + clientId).digest('base64');

const POOL_ID = 'us-east-1_Declared1';
const SECRET = 'declaredsecret0123456789abcdefghijklmnopqrstuvwxyz01';

function tobiraConfig(minLength: number, extra: Record<string, unknown> = {}) {
  return {
    functions: {},
    userPools: [
      {
        Id: POOL_ID,
        PoolName: 'declared',
        Policies: { PasswordPolicy: { MinimumLength: minLength, RequireNumbers: true } },
        AutoVerifiedAttributes: ['email'],
        Schema: [{ Name: 'tenant', AttributeDataType: 'String', Mutable: true }],
        clients: [
          { ClientId: 'webclient', ClientName: 'web', ClientSecret: SECRET, ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] },
          { ClientId: 'spa', ClientName: 'spa', SupportedIdentityProviders: ['COGNITO', 'Corp'], ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] },
        ],
        MfaConfig: { MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } },
        resourceServers: [{ Identifier: 'https://api.example.com', Name: 'api', Scopes: [{ ScopeName: 'read', ScopeDescription: 'read things' }] }],
        identityProviders: [
          {
            ProviderName: 'Corp',
            ProviderType: 'OIDC',
            ProviderDetails: { client_id: 'corp-app', client_secret: 'corp-secret', attributes_request_method: 'GET', oidc_issuer: 'https://idp.example.com', authorize_scopes: 'openid email' },
            AttributeMapping: { email: 'email' },
          },
        ],
        domains: [{ Domain: 'declared-example' }],
        groups: [{ GroupName: 'admins', Precedence: 1, Description: 'administrators' }],
        users: [
          { Username: 'alice', Attributes: { email: 'alice@example.com', email_verified: 'true', 'custom:tenant': 'acme' }, Password: 'correctHorse1', Groups: ['admins'] },
          { Username: 'bob', Attributes: [{ Name: 'email', Value: 'bob@example.com' }], Password: 'batteryStaple2', Enabled: false },
        ],
        ...extra,
      },
    ],
    identityPools: [
      {
        IdentityPoolId: 'us-east-1:11111111-2222-4333-8444-555555555555',
        IdentityPoolName: 'declared_identities',
        AllowUnauthenticatedIdentities: false,
        CognitoIdentityProviders: [{ ProviderName: `cognito-idp.us-east-1.amazonaws.com/${POOL_ID}`, ClientId: 'webclient' }],
        Roles: { authenticated: 'arn:aws:iam::000000000000:role/declared' },
      },
    ],
  };
}

describe('tobira start --config: a declared pool', () => {
  const dataDir = join(dir, 'data');
  const file = join(dir, 'tobira.json');
  let running: { proc: Spawned; url: string } | undefined;
  after(() => stopSpawned(running?.proc));

  test('first start creates the pool with its fixed id, client id and secret; the declared user signs in', async () => {
    writeFileSync(file, JSON.stringify(tobiraConfig(8)));
    running = await start(['--data-dir', dataDir, '--config', file]);
    const out = await summarised(running.proc);
    assert.match(out, /config: created user pool us-east-1_Declared1/);
    assert.match(out, /config: created user us-east-1_Declared1\/alice/);
    assert.match(out, /config: created identity provider us-east-1_Declared1\/Corp/);
    assert.doesNotMatch(out, /corp-secret/);
    assert.match(out, /config applied: \d+ created, 0 updated, 0 deleted/);
    assert.doesNotMatch(out, new RegExp(SECRET), 'the secret is never logged');
    assert.doesNotMatch(out, /correctHorse1/, 'nor a password');
    const idp = idpClient(running.url);
    const pool = await idp.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }));
    assert.equal(pool.UserPool?.Name, 'declared');
    assert.ok(pool.UserPool?.SchemaAttributes?.some((a) => a.Name === 'custom:tenant'));
    const client = await idp.send(new DescribeUserPoolClientCommand({ UserPoolId: POOL_ID, ClientId: 'webclient' }));
    assert.equal(client.UserPoolClient?.ClientSecret, SECRET);
    const auth = await idp.send(
      new InitiateAuthCommand({
        ClientId: 'webclient',
        AuthFlow: 'USER_PASSWORD_AUTH',
        AuthParameters: { USERNAME: 'alice', PASSWORD: 'correctHorse1', SECRET_HASH: secretHash('alice', 'webclient', SECRET) },
      }),
    );
    assert.ok(auth.AuthenticationResult?.IdToken);
    const claims = JSON.parse(Buffer.from(auth.AuthenticationResult!.IdToken!.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims['cognito:groups'], ['admins']);
    assert.equal(claims['custom:tenant'], 'acme');
    // Bob is declared disabled.
    await assert.rejects(
      idp.send(new InitiateAuthCommand({ ClientId: 'spa', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'bob', PASSWORD: 'batteryStaple2' } })),
      (e: Error) => e.name === 'NotAuthorizedException' && /disabled/i.test(e.message),
    );
    await stop(running.proc);
  });

  test('a restart with the same config changes nothing', async () => {
    running = await start(['--data-dir', dataDir, '--config', file]);
    const out = await summarised(running.proc);
    assert.match(out, /config applied: no changes/);
    assert.doesNotMatch(out, /config: (created|updated|deleted)/);
    await stop(running.proc);
  });

  test('a restart with a changed setting updates it, and only it', async () => {
    const changed = tobiraConfig(12);
    changed.userPools[0].groups = [{ GroupName: 'admins', Precedence: 5, Description: 'administrators' }];
    writeFileSync(file, JSON.stringify(changed));
    running = await start(['--data-dir', dataDir, '--config', file]);
    const out = await summarised(running.proc);
    assert.match(out, /config: updated user pool us-east-1_Declared1/);
    assert.match(out, /config: updated group us-east-1_Declared1\/admins/);
    assert.doesNotMatch(out, /config: updated app client/);
    assert.doesNotMatch(out, /config: (updated|created) user us-east-1_Declared1/);
    const idp = idpClient(running.url);
    const pool = await idp.send(new DescribeUserPoolCommand({ UserPoolId: POOL_ID }));
    assert.equal(pool.UserPool?.Policies?.PasswordPolicy?.MinimumLength, 12);
    assert.equal((await idp.send(new GetGroupCommand({ UserPoolId: POOL_ID, GroupName: 'admins' }))).Group?.Precedence, 5);
    // Made through the API while it runs: kept on a restart without --prune, gone with it.
    await idp.send(new CreateGroupCommand({ UserPoolId: POOL_ID, GroupName: 'adhoc' }));
    const adhoc = await idp.send(new CreateUserPoolClientCommand({ UserPoolId: POOL_ID, ClientName: 'adhoc' }));
    await stop(running.proc);
    running = await start(['--data-dir', dataDir, '--config', file]);
    assert.equal((await idpClient(running.url).send(new ListGroupsCommand({ UserPoolId: POOL_ID }))).Groups?.length, 2);
    await stop(running.proc);
    running = await start(['--data-dir', dataDir, '--config', file, '--prune']);
    const pruned = await summarised(running.proc);
    assert.match(pruned, /config: deleted group us-east-1_Declared1\/adhoc/);
    assert.match(pruned, new RegExp(`config: deleted app client ${adhoc.UserPoolClient!.ClientId}`));
    const after = idpClient(running.url);
    assert.deepEqual((await after.send(new ListGroupsCommand({ UserPoolId: POOL_ID }))).Groups?.map((g) => g.GroupName), ['admins']);
    assert.deepEqual((await after.send(new ListUserPoolClientsCommand({ UserPoolId: POOL_ID, MaxResults: 10 }))).UserPoolClients?.map((c) => c.ClientId).sort(), ['spa', 'webclient']);
    const groups = await after.send(new AdminListGroupsForUserCommand({ UserPoolId: POOL_ID, Username: 'alice' }));
    assert.deepEqual(groups.Groups?.map((g) => g.GroupName), ['admins']);
    await stop(running.proc);
  });

  test('the AWS CLI sees the declared pool and client', needs('aws'), async () => {
    running = await start(['--data-dir', dataDir, '--config', file]);
    const r = await aws(running.url, ['cognito-idp', 'describe-user-pool-client', '--user-pool-id', POOL_ID, '--client-id', 'webclient']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.UserPoolClient.ClientSecret, SECRET);
    await stop(running.proc);
  });

  test('a failing entry stops the start with a message naming it', async () => {
    const bad = tobiraConfig(12);
    bad.userPools[0].users.push({ Username: 'carol', Attributes: {}, Password: 'short', Groups: [] } as never);
    const badFile = join(dir, 'bad.json');
    writeFileSync(badFile, JSON.stringify(bad));
    const out = await failingStart(['--data-dir', dataDir, '--config', badFile]);
    assert.match(out, /userPools\[0\] \(us-east-1_Declared1\) users\[2\] \(carol\): InvalidPasswordException/);
    const typo = tobiraConfig(12);
    (typo.userPools[0].clients[1] as Record<string, unknown>).ExplicitAuthFlow = ['ALLOW_USER_SRP_AUTH'];
    const typoFile = join(dir, 'typo.json');
    writeFileSync(typoFile, JSON.stringify(typo));
    assert.match(await failingStart(['--data-dir', dataDir, '--config', typoFile]), /clients\[1\] \(spa\): unknown key "ExplicitAuthFlow" \(CreateUserPoolClient has no such member\)/);
    const badId = join(dir, 'bad-id.json');
    writeFileSync(badId, JSON.stringify({ userPools: [{ Id: 'not a pool id', PoolName: 'x' }] }));
    assert.match(await failingStart(['--in-memory', '--config', badId]), /userPools\[0\] \(not a pool id\): InvalidParameterException: Invalid user pool id/);
  });
});

describe('tobira start --config: other formats', () => {
  let running: { proc: Spawned; url: string } | undefined;
  after(() => stopSpawned(running?.proc));

  test("cognito-local's .cognito directory: config.json, db/<pool>.json and db/clients.json", async () => {
    const cognito = join(dir, '.cognito');
    mkdirSync(join(cognito, 'db'), { recursive: true });
    writeFileSync(join(cognito, 'config.json'), JSON.stringify({ TriggerFunctions: { PostAuthentication: 'post-auth' }, UserPoolDefaults: { MfaConfiguration: 'OFF' } }));
    writeFileSync(
      join(cognito, 'db', 'local_a1B2c3D4e.json'),
      JSON.stringify({
        Users: {
          'test-user': {
            Username: 'test-user',
            Password: 'test-Password!1',
            Attributes: [
              { Name: 'sub', Value: 'c443af37-2eab-4465-ac94-7ec8b814abad' },
              { Name: 'email', Value: 'test-user@example.com' },
              { Name: 'email_verified', Value: true },
            ],
            Enabled: true,
            UserStatus: 'CONFIRMED',
            RefreshTokens: [],
          },
        },
        Groups: { testers: { GroupName: 'testers', Description: 'testing', Precedence: 3, members: ['test-user'] } },
        Options: { Id: 'local_a1B2c3D4e', Name: 'from-cognito-local', MfaConfiguration: 'OFF', EstimatedNumberOfUsers: 0 },
      }),
    );
    writeFileSync(
      join(cognito, 'db', 'clients.json'),
      JSON.stringify({ Clients: { abcdefghijklmnopqrstuvwxyz: { ClientId: 'abcdefghijklmnopqrstuvwxyz', ClientName: 'test-client', UserPoolId: 'local_a1B2c3D4e', CreationDate: '2023-02-18T10:21:19.518Z', TokenValidityUnits: { AccessToken: 'hours', IdToken: 'minutes', RefreshToken: 'days' } } } }),
    );
    const functions = join(dir, 'functions');
    mkdirSync(functions, { recursive: true });
    writeFileSync(join(functions, 'post-auth.mjs'), 'export const handler = async (event) => event;\n');
    running = await start(['--in-memory', '--config', join(cognito, 'config.json'), '--functions-dir', functions]);
    const idp = idpClient(running.url);
    const described = (await idp.send(new DescribeUserPoolCommand({ UserPoolId: 'local_a1B2c3D4e' }))).UserPool;
    assert.equal(described?.Name, 'from-cognito-local');
    // TriggerFunctions name functions for every pool: here, the pool's LambdaConfig.
    assert.equal(described?.LambdaConfig?.PostAuthentication, 'arn:aws:lambda:local:000000000000:function:post-auth');
    const groups = await idp.send(new AdminListGroupsForUserCommand({ UserPoolId: 'local_a1B2c3D4e', Username: 'test-user' }));
    assert.deepEqual(groups.Groups?.map((g) => [g.GroupName, g.Precedence]), [['testers', 3]]);
    const auth = await idp.send(
      new InitiateAuthCommand({ ClientId: 'abcdefghijklmnopqrstuvwxyz', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'test-user', PASSWORD: 'test-Password!1' } }),
    );
    assert.ok(auth.AuthenticationResult?.AccessToken);
    await stop(running.proc);
  });

  test("a CloudFormation template's AWS::Cognito resources, Ref and GetAtt resolved, ids derived from logical ids", async () => {
    const template = {
      AWSTemplateFormatVersion: '2010-09-09',
      Parameters: { Stage: { Type: 'String', Default: 'dev' } },
      Resources: {
        AppPool: { Type: 'AWS::Cognito::UserPool', Properties: { UserPoolName: { 'Fn::Sub': 'app-${Stage}' }, UsernameAttributes: ['email'], EnabledMfas: ['SOFTWARE_TOKEN_MFA'], MfaConfiguration: 'OPTIONAL' } },
        AppClient: { Type: 'AWS::Cognito::UserPoolClient', Properties: { UserPoolId: { Ref: 'AppPool' }, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] } },
        Admins: { Type: 'AWS::Cognito::UserPoolGroup', Properties: { UserPoolId: { Ref: 'AppPool' }, GroupName: 'admins', RoleArn: { 'Fn::GetAtt': ['AdminRole', 'Arn'] } } },
        AdminRole: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'app-admins' } },
        Ops: { Type: 'AWS::Cognito::UserPoolUser', Properties: { UserPoolId: { Ref: 'AppPool' }, Username: 'ops@example.com', UserAttributes: [{ Name: 'email', Value: 'ops@example.com' }] } },
        OpsIsAdmin: { Type: 'AWS::Cognito::UserPoolUserToGroupAttachment', Properties: { UserPoolId: { Ref: 'AppPool' }, Username: 'ops@example.com', GroupName: { Ref: 'Admins' } } },
        Identities: {
          Type: 'AWS::Cognito::IdentityPool',
          Properties: {
            IdentityPoolName: 'app_identities',
            AllowUnauthenticatedIdentities: false,
            CognitoIdentityProviders: [{ ClientId: { Ref: 'AppClient' }, ProviderName: { 'Fn::GetAtt': ['AppPool', 'ProviderName'] } }],
          },
        },
        Roles: { Type: 'AWS::Cognito::IdentityPoolRoleAttachment', Properties: { IdentityPoolId: { Ref: 'Identities' }, Roles: { authenticated: { 'Fn::GetAtt': ['AdminRole', 'Arn'] } } } },
        Bucket: { Type: 'AWS::S3::Bucket' },
      },
    };
    const file = join(dir, 'template.json');
    writeFileSync(file, JSON.stringify(template));
    running = await start(['--in-memory', '--config', file]);
    const poolId = derivedPoolId('us-east-1', 'AppPool');
    const idp = idpClient(running.url);
    const pool = await idp.send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    assert.equal(pool.UserPool?.Name, 'app-dev');
    assert.equal(pool.UserPool?.MfaConfiguration, 'OPTIONAL');
    const client = await idp.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: derivedClientId('AppClient') }));
    assert.equal(client.UserPoolClient?.ClientName, 'app');
    assert.equal((await idp.send(new GetGroupCommand({ UserPoolId: poolId, GroupName: 'admins' }))).Group?.RoleArn, 'arn:aws:iam::000000000000:role/app-admins');
    // An email-username pool: the user is found by its email, and is in the attached group.
    const opsGroups = await idp.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'ops@example.com' }));
    assert.deepEqual(opsGroups.Groups?.map((g) => g.GroupName), ['admins']);
    const identity = new CognitoIdentityClient({ endpoint: running.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'x' }, maxAttempts: 1 });
    const identityPoolId = derivedIdentityPoolId('us-east-1', 'Identities');
    const described = await identity.send(new DescribeIdentityPoolCommand({ IdentityPoolId: identityPoolId }));
    assert.deepEqual(described.CognitoIdentityProviders, [{ ClientId: derivedClientId('AppClient'), ProviderName: `cognito-idp.us-east-1.amazonaws.com/${poolId}`, ServerSideTokenCheck: false }]);
    assert.deepEqual((await identity.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: identityPoolId }))).Roles, { authenticated: 'arn:aws:iam::000000000000:role/app-admins' });
    await stop(running.proc);
  });
});

describe("the README's example config", () => {
  test('applies, and its user signs in with the declared password', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const at = readme.indexOf('<!-- declarative-example -->');
    const block = /```json\n([\s\S]*?)```/.exec(readme.slice(at));
    assert.ok(at >= 0 && block, 'README has the example');
    const file = join(dir, 'readme-example.json');
    writeFileSync(file, block![1]);
    const server = await startTestServer({ configFile: file });
    try {
      const idp = idpClient(server.url);
      const secret = 'examplesecret0123456789abcdefghijklmnopqrstuvwxyz01';
      const auth = await idp.send(
        new InitiateAuthCommand({ ClientId: 'exampleweb', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'alicePassword1', SECRET_HASH: secretHash('alice', 'exampleweb', secret) } }),
      );
      assert.ok(auth.AuthenticationResult?.AccessToken);
      const identity = new CognitoIdentityClient({ endpoint: server.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTOBIRATEST', secretAccessKey: 'x' }, maxAttempts: 1 });
      const roles = await identity.send(new GetIdentityPoolRolesCommand({ IdentityPoolId: 'us-east-1:0f2b8c3e-5a1d-4c7e-9b0a-3d4e5f6a7b8c' }));
      assert.deepEqual(roles.Roles, { authenticated: 'arn:aws:iam::000000000000:role/example-authenticated' });
    } finally {
      await server.close();
    }
  });
});

describe('a YAML config file', () => {
  test('declares the same, functions mapping included (the strict subset yaml.ts reads)', async () => {
    const yamlDir = join(dir, 'yaml');
    mkdirSync(yamlDir, { recursive: true });
    writeFileSync(join(yamlDir, 'post-auth.mjs'), 'export const handler = async (event) => { globalThis.calls = (globalThis.calls ?? 0) + 1; return event; };\n');
    const file = join(yamlDir, 'tobira.yaml');
    writeFileSync(
      file,
      `# a pool, a client and a user; the trigger is a local handler
userPools:
  - Id: us-east-1_YamlPool1
    PoolName: "from yaml"
    LambdaConfig:
      PostAuthentication: arn:aws:lambda:us-east-1:000000000000:function:yaml-post-auth
    clients:
      - ClientId: yamlclient
        ClientName: 'yaml client'
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    users:
      - Username: yuki
        Password: yukiPassword1!   # checked against the policy
        Attributes:
          email: yuki@example.com
functions:
  yaml-post-auth:
    handler: post-auth.mjs#handler
`,
    );
    const server = await startTestServer({ configFile: file });
    try {
      const idp = idpClient(server.url);
      assert.equal((await idp.send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_YamlPool1' }))).UserPool?.Name, 'from yaml');
      assert.equal((await idp.send(new DescribeUserPoolClientCommand({ UserPoolId: 'us-east-1_YamlPool1', ClientId: 'yamlclient' }))).UserPoolClient?.ClientName, 'yaml client');
      const auth = await idp.send(new InitiateAuthCommand({ ClientId: 'yamlclient', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'yuki', PASSWORD: 'yukiPassword1!' } }));
      assert.ok(auth.AuthenticationResult?.IdToken, 'signed in, through the PostAuthentication handler the YAML maps');
    } finally {
      await server.close();
    }
  });

  test('what the subset does not read is refused with its line', async () => {
    const { parseYaml } = await import('../src/declarative/yaml.ts');
    assert.throws(() => parseYaml('a: &anchor 1'), /line 1: anchors, aliases, tags and block scalars/);
    assert.throws(() => parseYaml('a:\n\tb: 1'), /line 2: tabs/);
    assert.throws(() => parseYaml('a: 1\na: 2'), /line 2: "a" is given twice/);
    assert.throws(() => parseYaml('a: |\n  text'), /block scalars/);
    assert.throws(() => parseYaml('__proto__: 1'), /not allowed/);
    assert.deepEqual(parseYaml('- 1\n- "two"\n- [3]\n- ~\n- x: y\n  z: true\n- \'it\'\'s\''), [1, 'two', [3], null, { x: 'y', z: true }, "it's"]);
  });
});

describe('two nodes on one PostgreSQL database applying the same config at once', () => {
  test('both start; the pool, its client and its user exist once', async () => {
    const { startPostgres } = await import('./helpers/postgres.ts');
    const pg = await startPostgres();
    try {
      const url = await pg.newDatabase();
      const file = join(dir, 'shared.json');
      writeFileSync(file, JSON.stringify(tobiraConfig(8)));
      const [a, b] = await Promise.all([startTestServer({ databaseUrl: url, configFile: file }), startTestServer({ databaseUrl: url, configFile: file })]);
      try {
        const idp = idpClient(a.url);
        assert.equal((await idp.send(new ListUserPoolClientsCommand({ UserPoolId: POOL_ID, MaxResults: 10 }))).UserPoolClients?.length, 2);
        const auth = await idpClient(b.url).send(
          new InitiateAuthCommand({ ClientId: 'webclient', AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'correctHorse1', SECRET_HASH: secretHash('alice', 'webclient', SECRET) } }),
        );
        assert.ok(auth.AuthenticationResult?.IdToken);
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await pg.stop();
    }
  });
});
