import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminGetUserCommand,
  AdminInitiateAuthCommand,
  AdminListGroupsForUserCommand,
  CreateIdentityProviderCommand,
  CreateUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { parseCredentialsJson } from '../src/http/admin-credentials.ts';
import { idpClient, startTestServer } from './helpers/tobira.ts';
import { assertDone, Client, csrfOf, errorOf } from './helpers/console.ts';

/**
 * The console's pages and actions over plain HTTP (a loopback caller), each checked through the
 * API afterwards: pool settings (password policy, threat protection, MFA, domain, custom
 * attributes), a user's attributes, status, groups, sign-in events and sign-out everywhere,
 * groups, identity providers, identity pools; and an admin key's IAM policy applied to the
 * console's actions as to the API's.
 */

const PASSWORD = 'Correct#Horse1';

describe('admin console pages', () => {
  let server: Running;
  let poolId: string;
  let clientId: string;
  const c = () => new Client(server.url);
  const sdk = () => idpClient(server.url);

  before(async () => {
    server = await startTestServer();
    const home = await c().act('/_tobira/console/', 'create', { PoolName: 'pages', VerifyEmail: 'true' });
    assert.equal(home.status, 303);
    poolId = home.location!.split('/').pop()!;
    const client = await sdk().send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    clientId = client.UserPoolClient!.ClientId!;
  });

  after(async () => {
    await server?.close();
  });

  test('pool settings: password policy, threat protection, MFA, domain and a custom attribute, the other settings kept', async () => {
    const path = `/_tobira/console/pools/${poolId}`;
    const policy = await c().act(path, 'password-policy', { MinimumLength: '12', RequireNumbers: 'true', TemporaryPasswordValidityDays: '3' });
    assertDone(policy);
    assert.match(policy.text, /role="status">Password policy saved\./);
    assertDone(await c().act(path, 'threat-protection', { AdvancedSecurityMode: 'AUDIT' }));
    const { UserPool: p } = await sdk().send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    const { MinimumLength, RequireUppercase, RequireLowercase, RequireNumbers, RequireSymbols, TemporaryPasswordValidityDays } = p!.Policies!.PasswordPolicy!;
    assert.deepEqual(
      { MinimumLength, RequireUppercase, RequireLowercase, RequireNumbers, RequireSymbols, TemporaryPasswordValidityDays },
      { MinimumLength: 12, RequireUppercase: false, RequireLowercase: false, RequireNumbers: true, RequireSymbols: false, TemporaryPasswordValidityDays: 3 },
    );
    assert.equal(p!.UserPoolAddOns!.AdvancedSecurityMode, 'AUDIT');
    // UpdateUserPool resets what it is not given: the console gave it everything else as it was.
    assert.deepEqual(p!.AutoVerifiedAttributes, ['email']);

    assertDone(await c().act(path, 'mfa', { MfaConfiguration: 'OPTIONAL', Totp: 'true' }));
    const mfa = await sdk().send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    assert.equal(mfa.MfaConfiguration, 'OPTIONAL');
    assert.equal(mfa.SoftwareTokenMfaConfiguration?.Enabled, true);

    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:pre-sign-up';
    assertDone(await c().act(path, 'trigger', { Trigger: 'PreSignUp', Function: arn }));
    assert.equal((await sdk().send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!.LambdaConfig?.PreSignUp, arn);
    assertDone(await c().act(path, 'trigger', { Trigger: 'PreSignUp', Function: '' }));
    assert.equal((await sdk().send(new DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool!.LambdaConfig?.PreSignUp, undefined);

    const prefix = `console${Date.now().toString(36)}`;
    assertDone(await c().act(path, 'create-domain', { Domain: prefix }));
    assertDone(await c().act(path, 'add-attribute', { Name: 'tier', AttributeDataType: 'String' }));
    const page = await c().get(path);
    assert.match(page.text, new RegExp(`<dt>Prefix domain</dt><dd>${prefix}</dd>`));
    assert.match(page.text, /<td>custom:tier<\/td><td>String<\/td>/);
    assert.match(page.text, /<dt>Minimum password length<\/dt><dd>12<\/dd>/);

    // A bad value comes back as the API's own validation error.
    const bad = await c().act(path, 'password-policy', { MinimumLength: '3' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /<strong>InvalidParameterException<\/strong>/);
  });

  test("a user's attributes, status, groups, sign-in events and sign-out everywhere", async () => {
    const users = `/_tobira/console/pools/${poolId}/users`;
    const made = await c().act(users, 'create', { Username: 'carol', email: 'carol@example.com', EmailVerified: 'true', TemporaryPassword: 'Temp#Pass12345' });
    assert.equal(made.status, 303);
    const path = made.location!;
    assert.equal(path, `${users}/carol`);

    assertDone(await c().act(path, 'set-password', { Password: PASSWORD, Permanent: 'true' }));
    assertDone(await c().act(path, 'update-attribute', { Name: 'custom:tier', Value: 'gold' }));
    assertDone(await c().act(path, 'update-attribute', { Name: 'given_name', Value: 'Carol' }));
    assertDone(await c().act(path, 'delete-attribute', { Name: 'given_name' }));
    let u = await sdk().send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    assert.equal(u.UserStatus, 'CONFIRMED');
    assert.equal(u.UserAttributes!.find((a) => a.Name === 'custom:tier')?.Value, 'gold');
    assert.equal(u.UserAttributes!.find((a) => a.Name === 'given_name'), undefined);

    assertDone(await c().act(path, 'disable'));
    u = await sdk().send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    assert.equal(u.Enabled, false);
    assertDone(await c().act(path, 'enable'));

    // Groups: made on the groups page, joined and left on the user's page.
    const groups = `/_tobira/console/pools/${poolId}/groups`;
    assertDone(await c().act(groups, 'create', { GroupName: 'editors', Description: 'Can edit', Precedence: '3' }));
    assertDone(await c().act(path, 'add-group', { GroupName: 'editors' }));
    const g = await sdk().send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: 'carol' }));
    assert.deepEqual(g.Groups!.map((x) => x.GroupName), ['editors']);
    const groupPage = await c().get(`${groups}/editors`);
    assert.match(groupPage.text, /<a href="\/_tobira\/console\/pools\/[^"]+\/users\/carol">carol<\/a>/);
    const unknown = await c().act(path, 'add-group', { GroupName: 'nobody' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.text, /<strong>ResourceNotFoundException<\/strong>/);
    assertDone(await c().act(path, 'remove-group', { GroupName: 'editors' }));

    // A sign-in, recorded by threat protection (AUDIT, set above), shows among the events.
    const signedIn = await sdk().send(
      new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'carol', PASSWORD } }),
    );
    const page = await c().get(path);
    assert.match(page.text, /<caption>Sign-in events, newest first<\/caption>/);
    assert.match(page.text, /<td>SignIn<\/td><td>Pass<\/td>/);
    // And in the pool's feed of recent events, linked to the user.
    const feed = await c().get(`/_tobira/console/pools/${encodeURIComponent(poolId)}/events`);
    assert.equal(feed.status, 200);
    assert.match(feed.text, /<a href="\/_tobira\/console\/pools\/[^"]+\/users\/carol">carol<\/a><\/td><td>[^<]+<\/td><td>SignIn<\/td><td>Pass<\/td>/);

    // Sign out everywhere revokes the refresh token.
    assertDone(await c().act(path, 'sign-out'));
    await assert.rejects(
      sdk().send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: signedIn.AuthenticationResult!.RefreshToken! } })),
      { name: 'NotAuthorizedException' },
    );
  });

  test('a user who signed up is confirmed from the console', async () => {
    await sdk().send(new SignUpCommand({ ClientId: clientId, Username: 'dave', Password: 'Correct#Horse12', UserAttributes: [{ Name: 'email', Value: 'dave@example.com' }] }));
    const path = `/_tobira/console/pools/${poolId}/users/dave`;
    const page = await c().get(path);
    assert.match(page.text, /<dt>Status<\/dt><dd>UNCONFIRMED<\/dd>/);
    assert.match(page.text, />Confirm sign-up<\/button>/);
    assertDone(await c().act(path, 'confirm'));
    assert.equal((await sdk().send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'dave' }))).UserStatus, 'CONFIRMED');
    // The search box takes ListUsers' filters.
    const found = await c().get(`/_tobira/console/pools/${poolId}/users?filter=${encodeURIComponent('email ^= "dav"')}`);
    assert.match(found.text, /Page 1, 1 user\(s\) matching/);
    assert.match(found.text, />dave<\/a>/);
  });

  test('a pool is deleted only with the confirmation ticked', async () => {
    const made = await c().act('/_tobira/console/', 'create', { PoolName: 'short-lived' });
    const path = made.location!;
    const kept = await c().act(path, 'delete');
    assert.match(kept.text, /role="status">Nothing deleted: tick the box to confirm\./);
    assert.equal((await c().get(path)).status, 200);
    const gone = await c().act(path, 'delete', { confirm: 'true' });
    assert.equal(gone.status, 303);
    const afterwards = await c().get(path);
    assert.equal(afterwards.status, 400);
    assert.match(afterwards.text, /<strong>ResourceNotFoundException<\/strong>/);
  });

  test('identity providers show their settings but never a secret; identity pools are made and shown', async () => {
    await sdk().send(
      new CreateIdentityProviderCommand({
        UserPoolId: poolId,
        ProviderName: 'Corp',
        ProviderType: 'OIDC',
        ProviderDetails: { client_id: 'corp-client', client_secret: 'corp-very-secret', authorize_scopes: 'openid', oidc_issuer: 'https://idp.example.com', attributes_request_method: 'GET' },
        AttributeMapping: { email: 'email' },
      }),
    );
    const list = await c().get(`/_tobira/console/pools/${poolId}/providers`);
    assert.match(list.text, />Corp<\/a><\/td><td>OIDC<\/td>/);
    const detail = await c().get(`/_tobira/console/pools/${poolId}/providers/Corp`);
    assert.equal(detail.status, 200);
    assert.match(detail.text, /corp-client/);
    assert.ok(!detail.text.includes('corp-very-secret'));

    const added = await c().act(`/_tobira/console/pools/${poolId}/providers`, 'create-oidc', {
      ProviderName: 'Second',
      oidc_issuer: 'https://login.example.org',
      client_id: 'second-client',
      client_secret: 'second-very-secret',
      authorize_scopes: 'openid email',
    });
    assert.equal(added.status, 303, errorOf(added.text) ?? '');
    const second = await c().get(added.location!);
    assert.match(second.text, /<h1>Identity provider Second<\/h1>/);
    assert.match(second.text, /https:\/\/login\.example\.org/);
    assert.ok(!second.text.includes('second-very-secret'));

    const made = await c().act('/_tobira/console/identity-pools', 'create', { IdentityPoolName: 'Photos', AllowUnauthenticatedIdentities: 'true' });
    assert.equal(made.status, 303);
    const pool = await c().get(made.location!);
    assert.match(pool.text, /<h1>Identity pool Photos<\/h1>/);
    assert.match(pool.text, /<dt>Guest identities<\/dt><dd>true<\/dd>/);
    const refused = await c().act('/_tobira/console/identity-pools', 'create', { IdentityPoolName: 'bad name!' });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /<strong>ValidationException<\/strong>/);
    assert.equal((await c().act(made.location!, 'delete')).status, 303);
    assert.doesNotMatch((await c().get('/_tobira/console/identity-pools')).text, /Photos/);
  });
});

describe('admin console signed in with an admin key', () => {
  let server: Running;
  const READER = { accessKeyId: 'AKIDCONSOLEREADER', secretAccessKey: 'reader-secret-0123456789' };

  before(async () => {
    const creds = parseCredentialsJson(
      JSON.stringify({
        credentials: [
          {
            ...READER,
            policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['cognito-idp:List*', 'cognito-idp:Describe*'], Resource: '*' }] },
          },
        ],
      }),
    );
    server = await startTestServer({ adminCredentials: creds });
  });

  after(async () => {
    await server?.close();
  });

  test("the key's IAM policy applies to every console action; the outbox and inspector need an unrestricted key", async () => {
    const remote = new Client(server.url, { 'x-forwarded-for': '198.51.100.7' });
    const form = await remote.get('/_tobira/console/sign-in');
    assert.match(form.text, /<label for="akid">Access key id<\/label>/);
    assert.doesNotMatch(form.text, /Operator token/);
    const wrong = await remote.post('/_tobira/console/sign-in', { _csrf: csrfOf(form.text), accessKeyId: READER.accessKeyId, secretAccessKey: 'nope' });
    assert.equal(wrong.status, 401);
    const ok = await remote.post('/_tobira/console/sign-in', { _csrf: csrfOf(form.text), ...READER });
    assert.equal(ok.status, 303);

    const home = await remote.get('/_tobira/console/');
    assert.equal(home.status, 200);
    assert.match(home.text, /<h1>User pools<\/h1>/);
    const refused = await remote.act('/_tobira/console/', 'create', { PoolName: 'not allowed' });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /<strong>AccessDeniedException<\/strong>: <span class="message">User: [^<]*is not authorized to perform: cognito-idp:CreateUserPool/);
    assert.equal((await remote.get('/_tobira/console/outbox')).status, 403);
    assert.equal((await remote.get('/_tobira/console/tokens')).status, 403);
  });
});
