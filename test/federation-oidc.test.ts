import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminDisableProviderForUserCommand,
  AdminLinkProviderForUserCommand,
  AdminUpdateUserAttributesCommand,
  CreateGroupCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { aws, idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { claims, userWithPassword } from './helpers/sign-in.ts';
import { Browser, CALLBACK, csrfOf, PASSWORD } from './helpers/hosted-ui.ts';
import { needs } from './helpers/tools.ts';
import {
  authorizeUrl,
  createProvider,
  type Downstream,
  downstreamPool,
  FacebookStub,
  federatedSignIn,
  OidcStub,
  offer,
  redeem,
  type Upstream,
  upstreamPool,
  upstreamUser,
} from './helpers/federation.ts';

/**
 * OIDC and social federation through the hosted UI, driven with fetch: a second Tobira pool with
 * a domain is the upstream OIDC provider (its discovery, its /oauth2/authorize and /login, its
 * token endpoint and JWKS), a tiny stub plays Facebook's token and graph endpoints, another an
 * OIDC provider whose ID tokens are wrong on purpose.
 */
describe('federation: OIDC and social providers through the hosted UI', () => {
  let server: Running;
  let url: string;
  let up: Upstream;
  let down: Downstream;
  let fb: FacebookStub;
  let stub: OidcStub;
  let umaSub: string;
  const sdk = () => idpClient(url);
  const users = async () => (await sdk().send(new ListUsersCommand({ UserPoolId: down.poolId }))).Users ?? [];
  const attr = (u: { Attributes?: { Name?: string; Value?: string }[] }, name: string) => u.Attributes?.find((a) => a.Name === name)?.Value;

  before(async () => {
    server = await startTestServer();
    url = server.url;
    fb = await new FacebookStub().start();
    stub = await new OidcStub().start();
    // The downstream's idpresponse URL must be registered at the upstream before the pool exists,
    // so the downstream comes first and the upstream client lists it.
    down = await downstreamPool(url);
    up = await upstreamPool(url, [down.idpResponse]);
    await createProvider(url, {
      UserPoolId: down.poolId,
      ProviderName: 'Upstream',
      ProviderType: 'OIDC',
      ProviderDetails: {
        client_id: up.clientId,
        client_secret: up.clientSecret,
        attributes_request_method: 'GET',
        oidc_issuer: up.issuer,
        authorize_scopes: 'openid email profile',
      },
      AttributeMapping: { email: 'email', name: 'name', email_verified: 'email_verified', username: 'sub' },
    });
    await createProvider(url, {
      UserPoolId: down.poolId,
      ProviderName: 'Facebook',
      ProviderType: 'Facebook',
      ProviderDetails: {
        client_id: 'fb-app',
        client_secret: 'fb-secret',
        authorize_scopes: 'public_profile, email',
        authorize_url: `${fb.url}/dialog/oauth`,
        token_url: `${fb.url}/oauth/access_token`,
        attributes_url: `${fb.url}/me?fields=`,
      },
      AttributeMapping: { email: 'email', name: 'name' },
    });
    await createProvider(url, {
      UserPoolId: down.poolId,
      ProviderName: 'Stub',
      ProviderType: 'OIDC',
      ProviderDetails: { client_id: 'stub-client', client_secret: 'stub-secret', attributes_request_method: 'GET', oidc_issuer: stub.url, jwks_uri: `${stub.url}/jwks`, authorize_scopes: 'openid email' },
      AttributeMapping: { email: 'email' },
    });
    await offer(url, down, ['Upstream', 'Facebook', 'Stub']);
    umaSub = await upstreamUser(url, up, 'uma', { email: 'uma@example.com', email_verified: 'true', name: 'Uma Upstream' });
  });

  after(async () => {
    await fb?.close();
    await stub?.close();
    await server?.close();
  });

  test('an OIDC provider signs a user in: <Provider>_<sub>, EXTERNAL_PROVIDER, mapped attributes, identities in the ID token; a second sign-in updates them', async () => {
    const start = authorizeUrl(down, 'Upstream', { nonce: 'app-nonce-1' });
    const first = await federatedSignIn(start, { username: 'uma' });
    // Upstream leg: state, nonce, PKCE (S256) went to the provider.
    const upstreamAuthorize = new URL((await new Browser().get(start)).headers.get('location')!);
    assert.equal(upstreamAuthorize.origin + upstreamAuthorize.pathname, `${up.base}/oauth2/authorize`);
    for (const p of ['state', 'nonce', 'code_challenge']) assert.ok(upstreamAuthorize.searchParams.get(p), p);
    assert.equal(upstreamAuthorize.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(upstreamAuthorize.searchParams.get('redirect_uri'), down.idpResponse);
    assert.equal(upstreamAuthorize.searchParams.get('client_id'), up.clientId);

    assert.equal(first.landed!.origin + first.landed!.pathname, CALLBACK);
    assert.equal(first.landed!.searchParams.get('state'), new URL(start).searchParams.get('state'));
    const tokens = await redeem(down, first.landed!);
    const id = claims(tokens.id_token);
    assert.equal(id['cognito:username'], `Upstream_${umaSub}`);
    assert.equal(id.email, 'uma@example.com');
    assert.equal(id.email_verified, true);
    assert.equal(id.name, 'Uma Upstream');
    assert.equal(id.nonce, 'app-nonce-1');
    assert.ok(id['cognito:groups'].includes(`${down.poolId}_Upstream`), 'the automatic provider group');
    assert.equal(id.identities.length, 1);
    const identity = id.identities[0];
    assert.deepEqual(Object.keys(identity), ['userId', 'providerName', 'providerType', 'issuer', 'primary', 'dateCreated']);
    assert.deepEqual({ ...identity, dateCreated: undefined }, { userId: umaSub, providerName: 'Upstream', providerType: 'OIDC', issuer: up.issuer, primary: 'true', dateCreated: undefined });
    assert.match(identity.dateCreated, /^\d{13}$/);

    const listed = (await users()).find((u) => u.Username === `Upstream_${umaSub}`)!;
    assert.ok(listed, 'ListUsers shows the federated user');
    assert.equal(listed.UserStatus, 'EXTERNAL_PROVIDER');
    assert.equal(attr(listed, 'email'), 'uma@example.com');
    assert.equal(attr(listed, 'name'), 'Uma Upstream');
    assert.equal(JSON.parse(attr(listed, 'identities')!)[0].providerName, 'Upstream');

    // The user changes their name at the provider; the next sign-in brings it along.
    await sdk().send(new AdminUpdateUserAttributesCommand({ UserPoolId: up.poolId, Username: 'uma', UserAttributes: [{ Name: 'name', Value: 'Uma Renamed' }] }));
    const second = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'uma' });
    const id2 = claims((await redeem(down, second.landed!)).id_token);
    assert.equal(id2.sub, id.sub, 'the same user');
    assert.equal(id2.name, 'Uma Renamed');
    assert.equal(attr((await users()).find((u) => u.Username === `Upstream_${umaSub}`)!, 'name'), 'Uma Renamed');
    assert.equal((await users()).filter((u) => u.Username?.startsWith('Upstream_')).length, 1);
  });

  test('the hosted-UI session from a federated sign-in serves a later /oauth2/authorize without the provider', async () => {
    const browsers = { down: new Browser(), up: new Browser() };
    const first = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'uma' }, browsers);
    const sub = claims((await redeem(down, first.landed!)).id_token).sub;
    const again = await browsers.down.get(authorizeUrl(down, undefined));
    assert.equal(again.status, 302);
    const landed = new URL(again.headers.get('location')!);
    assert.equal(landed.origin + landed.pathname, CALLBACK);
    assert.equal(claims((await redeem(down, landed)).id_token).sub, sub);
  });

  test('implicit flow: the tokens of a federated sign-in come back in the fragment', async () => {
    const r = await federatedSignIn(authorizeUrl(down, 'Upstream', { response_type: 'token' }), { username: 'uma' });
    const fragment = new URLSearchParams(r.landed!.hash.slice(1));
    assert.equal(claims(fragment.get('id_token')!)['cognito:username'], `Upstream_${umaSub}`);
    assert.ok(fragment.get('access_token'));
  });

  test('/login offers a button per provider the client supports', async () => {
    const q = new URLSearchParams({ client_id: down.clientId, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid' });
    const page = await (await new Browser().get(`${down.base}/login?${q}`)).text();
    for (const name of ['Upstream', 'Facebook', 'Stub']) {
      const href = new RegExp(`href="([^"]*identity_provider=${name})"`).exec(page)?.[1];
      assert.ok(href, `a button for ${name}`);
      assert.match(page, new RegExp(`Continue with ${name}`));
    }
    assert.ok(csrfOf(page), 'the password form is still there (the client lists COGNITO)');
  });

  test('a client that lists providers but not COGNITO: /login shows only their buttons and takes no password', async () => {
    const { CreateUserPoolClientCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const c = await sdk().send(new CreateUserPoolClientCommand({
      UserPoolId: down.poolId, ClientName: 'Social only', AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid'], CallbackURLs: [CALLBACK], SupportedIdentityProviders: ['Upstream'],
    }));
    const q = new URLSearchParams({ client_id: c.UserPoolClient!.ClientId!, response_type: 'code', redirect_uri: CALLBACK, scope: 'openid' });
    const browser = new Browser();
    const page = await (await browser.get(`${down.base}/login?${q}`)).text();
    assert.match(page, /Continue with Upstream/);
    assert.doesNotMatch(page, /name="password"/);
    // A form posted all the same (its CSRF token from another page of this browser) is refused.
    const other = await (await browser.get(`${down.base}/login?${new URLSearchParams({ client_id: down.clientId, response_type: 'code', redirect_uri: CALLBACK })}`)).text();
    const posted = await browser.post(`${down.base}/login?${q}`, { _csrf: csrfOf(other)!, username: 'alice', password: PASSWORD });
    assert.equal(posted.status, 400);
    const cognito = await new Browser().get(`${down.base}/oauth2/authorize?${q}&identity_provider=COGNITO`);
    assert.equal(new URL(cognito.headers.get('location')!).searchParams.get('error'), 'invalid_request');
  });

  test('Facebook (OAuth 2.0, no ID token): the user comes from attributes_url with the access token', async () => {
    fb.people.set('10158', { id: '10158', name: 'Fiona Facebook', email: 'fiona@example.com' });
    fb.next = '10158';
    const browser = new Browser();
    const a = await browser.get(authorizeUrl(down, 'Facebook'));
    const dialog = new URL(a.headers.get('location')!);
    assert.equal(dialog.origin + dialog.pathname, `${fb.url}/dialog/oauth`);
    assert.equal(dialog.searchParams.get('scope'), 'public_profile,email');
    assert.equal(dialog.searchParams.get('nonce'), null, 'no nonce for a provider without ID tokens');
    const back = new URL((await fetch(dialog, { redirect: 'manual' })).headers.get('location')!);
    const done = await browser.get(back.href);
    assert.equal(done.status, 302);
    const id = claims((await redeem(down, new URL(done.headers.get('location')!))).id_token);
    assert.equal(id['cognito:username'], 'Facebook_10158');
    assert.equal(id.email, 'fiona@example.com');
    assert.equal(id.name, 'Fiona Facebook');
    assert.deepEqual({ ...id.identities[0], dateCreated: 'x' }, { userId: '10158', providerName: 'Facebook', providerType: 'Facebook', issuer: null, primary: 'true', dateCreated: 'x' });
    // attributes_url_add_attributes: the mapped fields were asked for.
    assert.deepEqual(fb.lastFields.split(',').sort(), ['email', 'id', 'name']);
    assert.equal((await users()).find((u) => u.Username === 'Facebook_10158')?.UserStatus, 'EXTERNAL_PROVIDER');
  });

  test('seed 003: the Google provider and a client with COGNITO Google made by the AWS CLI, pointed at the test provider', needs('aws'), async () => {
    const cli = async (args: string[]) => {
      const r = await aws(url, ['cognito-idp', ...args]);
      assert.equal(r.code, 0, r.stderr);
      return r.json;
    };
    const g = await downstreamPool(url);
    // The upstream client must know this pool's idpresponse too.
    const gUp = await upstreamPool(url, [g.idpResponse]);
    await upstreamUser(url, gUp, 'gina', { email: 'gina@example.com', name: 'Gina Google' });
    // Seed 003's command, with the endpoints a test provider needs.
    await cli([
      'create-identity-provider', '--user-pool-id', g.poolId, '--provider-name', 'Google', '--provider-type', 'Google',
      '--provider-details', JSON.stringify({
        client_id: gUp.clientId,
        client_secret: gUp.clientSecret,
        authorize_scopes: 'openid email profile',
        oidc_issuer: gUp.issuer,
        authorize_url: `${gUp.base}/oauth2/authorize`,
        token_url: `${gUp.base}/oauth2/token`,
        attributes_url: `${gUp.base}/oauth2/userInfo?personFields=`,
      }),
      '--attribute-mapping', '{"email":"email","name":"name","username":"sub"}',
    ]);
    const client = await cli([
      'create-user-pool-client', '--user-pool-id', g.poolId, '--client-name', 'web', '--generate-secret',
      '--allowed-o-auth-flows-user-pool-client', '--allowed-o-auth-flows', 'code', '--allowed-o-auth-scopes', 'openid', 'email', 'profile',
      '--callback-urls', CALLBACK, '--supported-identity-providers', 'COGNITO', 'Google',
    ]);
    assert.deepEqual(client.UserPoolClient.SupportedIdentityProviders, ['COGNITO', 'Google']);
    const web = { ...g, clientId: client.UserPoolClient.ClientId, clientSecret: client.UserPoolClient.ClientSecret };
    const r = await federatedSignIn(authorizeUrl(web, 'Google'), { username: 'gina' });
    const id = claims((await redeem(web, r.landed!)).id_token);
    assert.match(id['cognito:username'], /^Google_[0-9a-f-]{36}$/);
    assert.equal(id.email, 'gina@example.com');
    assert.equal(id.name, 'Gina Google');
    assert.equal(id.identities[0].providerType, 'Google');
    assert.equal(id.identities[0].issuer, null);
    const listed = await cli(['list-users', '--user-pool-id', g.poolId]);
    assert.equal(listed.Users[0].UserStatus, 'EXTERNAL_PROVIDER');
    assert.equal(listed.Users[0].Username, id['cognito:username']);

    // admin-link-provider-for-user in the CLI's shorthand: gwen's Google account becomes gail.
    await userWithPassword(url, g.poolId, 'gail', PASSWORD, { attributes: { email: 'gail@example.com' } });
    const gwenSub = await upstreamUser(url, gUp, 'gwen', { email: 'gwen@example.com' });
    await cli([
      'admin-link-provider-for-user', '--user-pool-id', g.poolId,
      '--destination-user', 'ProviderName=Cognito,ProviderAttributeValue=gail',
      '--source-user', `ProviderName=Google,ProviderAttributeName=Cognito_Subject,ProviderAttributeValue=${gwenSub}`,
    ]);
    const linked = await federatedSignIn(authorizeUrl(web, 'Google'), { username: 'gwen' });
    assert.equal(claims((await redeem(web, linked.landed!)).id_token)['cognito:username'], 'gail');
    await cli([
      'admin-disable-provider-for-user', '--user-pool-id', g.poolId,
      '--user', `ProviderName=Google,ProviderAttributeName=Cognito_Subject,ProviderAttributeValue=${gwenSub}`,
    ]);
    const unlinked = await federatedSignIn(authorizeUrl(web, 'Google'), { username: 'gwen' });
    assert.equal(claims((await redeem(web, unlinked.landed!)).id_token)['cognito:username'], `Google_${gwenSub}`);
  });

  test('AdminLinkProviderForUser: the provider user signs in as the native user (its sub and groups); AdminDisableProviderForUser ends that', async () => {
    const client = sdk();
    await userWithPassword(url, down.poolId, 'alice', PASSWORD, { attributes: { email: 'alice@example.com' } });
    await client.send(new CreateGroupCommand({ UserPoolId: down.poolId, GroupName: 'admins' }));
    await client.send(new AdminAddUserToGroupCommand({ UserPoolId: down.poolId, Username: 'alice', GroupName: 'admins' }));
    const aliceSub = attr((await users()).find((u) => u.Username === 'alice')!, 'sub');
    const ullaSub = await upstreamUser(url, up, 'ulla', { email: 'ulla@example.com', name: 'Ulla' });

    // A provider user who already signed in cannot be linked (Cognito: no merging).
    const merge = await sdkError(client.send(new AdminLinkProviderForUserCommand({
      UserPoolId: down.poolId,
      DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: 'alice' },
      SourceUser: { ProviderName: 'Upstream', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: umaSub },
    })));
    assert.equal(merge.name, 'InvalidParameterException');
    assert.match(merge.message, /^Merging is not currently supported/);

    const link = {
      UserPoolId: down.poolId,
      DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: 'alice' },
      SourceUser: { ProviderName: 'Upstream', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: ullaSub },
    };
    await client.send(new AdminLinkProviderForUserCommand(link));
    const again = await sdkError(client.send(new AdminLinkProviderForUserCommand(link)));
    assert.deepEqual(again, { name: 'InvalidParameterException', message: 'SourceUser is already linked to DestinationUser' });
    const alice = (await users()).find((u) => u.Username === 'alice')!;
    assert.equal(JSON.parse(attr(alice, 'identities')!)[0].userId, ullaSub);

    const r = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'ulla' });
    const id = claims((await redeem(down, r.landed!)).id_token);
    assert.equal(id.sub, aliceSub);
    assert.equal(id['cognito:username'], 'alice');
    assert.deepEqual(id['cognito:groups'], ['admins']);
    assert.equal((await users()).some((u) => u.Username === `Upstream_${ullaSub}`), false, 'no separate federated user');

    await client.send(new AdminDisableProviderForUserCommand({
      UserPoolId: down.poolId,
      User: { ProviderName: 'Upstream', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: ullaSub },
    }));
    assert.equal(attr((await users()).find((u) => u.Username === 'alice')!, 'identities'), undefined);
    const after = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'ulla' });
    const id2 = claims((await redeem(down, after.landed!)).id_token);
    assert.notEqual(id2.sub, aliceSub);
    assert.equal(id2['cognito:username'], `Upstream_${ullaSub}`);

    // Disabling the provider user again deletes that external user; an unknown one is UserNotFound.
    await client.send(new AdminDisableProviderForUserCommand({
      UserPoolId: down.poolId,
      User: { ProviderName: 'Upstream', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: ullaSub },
    }));
    assert.equal((await users()).some((u) => u.Username === `Upstream_${ullaSub}`), false);
    // Five links a user at most.
    const five = [];
    for (let i = 0; i < 5; i++) five.push(client.send(new AdminLinkProviderForUserCommand({ ...link, SourceUser: { ...link.SourceUser, ProviderAttributeValue: `never-signed-in-${i}` } })));
    await Promise.all(five);
    const sixth = await sdkError(client.send(new AdminLinkProviderForUserCommand({ ...link, SourceUser: { ...link.SourceUser, ProviderAttributeValue: 'never-signed-in-5' } })));
    assert.equal(sixth.name, 'LimitExceededException');
    const gone = await sdkError(client.send(new AdminDisableProviderForUserCommand({
      UserPoolId: down.poolId,
      User: { ProviderName: 'Upstream', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: 'nobody' },
    })));
    assert.equal(gone.name, 'UserNotFoundException');
    const native = await sdkError(client.send(new AdminLinkProviderForUserCommand({
      UserPoolId: down.poolId,
      DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: 'alice' },
      SourceUser: { ProviderName: 'Cognito', ProviderAttributeName: 'Cognito_Subject', ProviderAttributeValue: 'bob' },
    })));
    assert.equal(native.name, 'InvalidParameterException');
    const noDest = await sdkError(client.send(new AdminLinkProviderForUserCommand({
      ...link,
      DestinationUser: { ProviderName: 'Cognito', ProviderAttributeValue: 'nobody' },
    })));
    assert.equal(noDest.name, 'UserNotFoundException');
  });

  test('a wrong or replayed state ends on Cognito\'s error page; a replayed upstream code is refused; nothing is created', async () => {
    const before = (await users()).length;
    const bogus = await new Browser().get(`${down.idpResponse}?code=abc&state=not-a-state`);
    assert.equal(bogus.status, 400);
    assert.match(await bogus.text(), /Invalid State\/RelayState provided\./);
    const noState = await new Browser().get(`${down.idpResponse}?code=abc`);
    assert.equal(noState.status, 400);

    const browsers = { down: new Browser(), up: new Browser() };
    // The same idpresponse answer twice: the second finds its state used.
    const u2 = `ruth${Date.now()}`;
    await upstreamUser(url, up, u2, { email: 'ruth@example.com' });
    const { idpResponse } = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: u2 }, browsers, { stopAtIdpResponse: true });
    const once = await browsers.down.get(idpResponse.href);
    assert.equal(once.status, 302);
    const replay = await browsers.down.get(idpResponse.href);
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /Invalid State\/RelayState provided\./);

    // The used upstream code under a fresh state: the upstream refuses it, the app hears why.
    const u3 = `rosa${Date.now()}`;
    await upstreamUser(url, up, u3, { email: 'rosa@example.com' });
    const start = authorizeUrl(down, 'Upstream', { state: 'replay-1' });
    const third = { down: new Browser(), up: new Browser() };
    const second = await federatedSignIn(start, { username: u3 }, third, { stopAtIdpResponse: true });
    const forged = new URL(second.idpResponse);
    forged.searchParams.set('code', idpResponse.searchParams.get('code')!);
    const refused = await third.down.get(forged.href);
    assert.equal(refused.status, 302);
    const at = new URL(refused.headers.get('location')!);
    assert.equal(at.origin + at.pathname, CALLBACK);
    assert.equal(at.searchParams.get('error'), 'invalid_request');
    assert.equal(at.searchParams.get('error_description'), 'Upstream Error - 400 invalid_grant ');
    assert.equal(at.searchParams.get('state'), 'replay-1');
    // Only ruth's sign-in created a user.
    assert.equal((await users()).length, before + 1);
  });

  for (const [mode, description] of [
    ['aud', /^Bad id_token aud some-other-client $/],
    ['nonce', /^Bad id_token nonce $/],
    ['issuer', /^Bad id_token issuer https:\/\/evil\.example $/],
    ['signature', /^Bad id_token signature $/],
  ] as const) {
    test(`an upstream ID token with a wrong ${mode} is refused and nothing is created`, async () => {
      const before = (await users()).length;
      stub.mode = mode;
      try {
        const browser = new Browser();
        const a = await browser.get(authorizeUrl(down, 'Stub', { state: `s-${mode}` }));
        const back = new URL((await fetch(a.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!);
        const done = await browser.get(back.href);
        assert.equal(done.status, 302);
        const at = new URL(done.headers.get('location')!);
        assert.equal(at.searchParams.get('error'), 'invalid_request');
        assert.match(at.searchParams.get('error_description')!, description);
        assert.equal(at.searchParams.get('state'), `s-${mode}`);
      } finally {
        stub.mode = 'ok';
      }
      assert.equal((await users()).length, before);
    });
  }

  test('the stub provider with a good ID token signs in (the refusals above were for their reason)', async () => {
    const browser = new Browser();
    const a = await browser.get(authorizeUrl(down, 'Stub'));
    const back = new URL((await fetch(a.headers.get('location')!, { redirect: 'manual' })).headers.get('location')!);
    const done = await browser.get(back.href);
    const id = claims((await redeem(down, new URL(done.headers.get('location')!))).id_token);
    assert.equal(id['cognito:username'], 'Stub_stub-user-1');
    assert.equal(id.identities[0].issuer, stub.url);
  });

  test('Sign in with Apple: form_post back to /oauth2/idpresponse, the client secret an ES256 JWT of the team\'s key', async () => {
    const { generateKeyPair, exportPKCS8, exportSPKI, importSPKI, jwtVerify } = await import('jose');
    const pair = await generateKeyPair('ES256', { extractable: true });
    await createProvider(url, {
      UserPoolId: down.poolId,
      ProviderName: 'SignInWithApple',
      ProviderType: 'SignInWithApple',
      ProviderDetails: {
        client_id: 'com.example.web',
        team_id: 'TEAM123456',
        key_id: 'KEY1234567',
        private_key: await exportPKCS8(pair.privateKey),
        authorize_scopes: 'name email',
        authorize_url: `${stub.url}/authorize`,
        token_url: `${stub.url}/token`,
        oidc_issuer: stub.url,
        jwks_uri: `${stub.url}/jwks`,
      },
      AttributeMapping: { email: 'email' },
    });
    await offer(url, down, ['Upstream', 'Facebook', 'Stub', 'SignInWithApple']);
    stub.sub = 'apple-user-7';
    try {
      const browser = new Browser();
      const a = await browser.get(authorizeUrl(down, 'SignInWithApple', { state: 'apple-1' }));
      const upstream = new URL(a.headers.get('location')!);
      assert.equal(upstream.searchParams.get('response_mode'), 'form_post');
      // Apple posts the answer from its own site: a cross-site POST, without our cookies.
      const back = new URL((await fetch(upstream, { redirect: 'manual' })).headers.get('location')!);
      const posted = await fetch(down.idpResponse, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ code: back.searchParams.get('code')!, state: back.searchParams.get('state')! }).toString(),
      });
      assert.equal(posted.status, 302);
      const landed = new URL(posted.headers.get('location')!);
      assert.equal(landed.searchParams.get('state'), 'apple-1');
      const id = claims((await redeem(down, landed)).id_token);
      assert.equal(id['cognito:username'], 'SignInWithApple_apple-user-7');
      assert.equal(id.identities[0].issuer, null);
      const secret = stub.lastTokenRequest!.get('client_secret')!;
      const { payload, protectedHeader } = await jwtVerify(secret, await importSPKI(await exportSPKI(pair.publicKey), 'ES256'), { audience: stub.url });
      assert.deepEqual([protectedHeader.alg, protectedHeader.kid, payload.iss, payload.sub], ['ES256', 'KEY1234567', 'TEAM123456', 'com.example.web']);
    } finally {
      stub.sub = 'stub-user-1';
    }
  });

  test('an identity_provider the client does not list, or the pool lacks, goes back as invalid_request', async () => {
    for (const name of ['Nope', 'Google']) {
      const r = await new Browser().get(authorizeUrl(down, name, { state: 'x1' }));
      assert.equal(r.status, 302);
      const at = new URL(r.headers.get('location')!);
      assert.equal(at.searchParams.get('error'), 'invalid_request');
      assert.equal(at.searchParams.get('state'), 'x1');
    }
  });

  test('idp_identifier picks the provider by one of its IdpIdentifiers (without case)', async () => {
    const { UpdateIdentityProviderCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    await sdk().send(new UpdateIdentityProviderCommand({ UserPoolId: down.poolId, ProviderName: 'Upstream', IdpIdentifiers: ['example.com'] }));
    const start = new URL(authorizeUrl(down, undefined));
    start.searchParams.set('idp_identifier', 'EXAMPLE.com');
    const r = await new Browser().get(start.href);
    assert.equal(r.status, 302);
    const at = new URL(r.headers.get('location')!);
    assert.equal(at.origin + at.pathname, `${up.base}/oauth2/authorize`);
    start.searchParams.set('idp_identifier', 'unknown.example');
    const unknown = new URL((await new Browser().get(start.href)).headers.get('location')!);
    assert.equal(unknown.searchParams.get('error'), 'invalid_request');
  });

  test('the provider\'s own refusal (the user said no) and a disabled user reach the app as invalid_request', async () => {
    const browser = new Browser();
    const a = await browser.get(authorizeUrl(down, 'Upstream', { state: 'no-1' }));
    const state = new URL(a.headers.get('location')!).searchParams.get('state')!;
    const denied = await browser.get(`${down.idpResponse}?${new URLSearchParams({ error: 'access_denied', error_description: 'The user said no', state })}`);
    assert.equal(denied.status, 302);
    const at = new URL(denied.headers.get('location')!);
    assert.equal(at.searchParams.get('error'), 'invalid_request');
    assert.equal(at.searchParams.get('error_description'), 'Upstream Error - access_denied The user said no ');
    assert.equal(at.searchParams.get('state'), 'no-1');

    const { AdminDisableUserCommand, AdminEnableUserCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    await sdk().send(new AdminDisableUserCommand({ UserPoolId: down.poolId, Username: `Upstream_${umaSub}` }));
    try {
      const r = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'uma' });
      assert.equal(r.landed!.searchParams.get('error'), 'invalid_request');
      assert.equal(r.landed!.searchParams.get('error_description'), 'User is disabled. ');
    } finally {
      await sdk().send(new AdminEnableUserCommand({ UserPoolId: down.poolId, Username: `Upstream_${umaSub}` }));
    }
  });

  test('a federated user\'s refresh token works at /oauth2/token', async () => {
    const r = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'uma' });
    const tokens = await redeem(down, r.landed!);
    const res = await fetch(`${down.base}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${down.clientId}:${down.clientSecret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }).toString(),
    });
    assert.equal(res.status, 200);
    const refreshed = (await res.json()) as { id_token: string };
    assert.equal(claims(refreshed.id_token)['cognito:username'], `Upstream_${umaSub}`);
    assert.equal(claims(refreshed.id_token).identities[0].userId, umaSub);
  });

  test('a mapping to an attribute the pool lacks, or a required attribute left empty, refuses the sign-in in Cognito\'s words', async () => {
    await createProvider(url, {
      UserPoolId: down.poolId,
      ProviderName: 'Badmap',
      ProviderType: 'OIDC',
      ProviderDetails: { client_id: up.clientId, client_secret: up.clientSecret, attributes_request_method: 'GET', oidc_issuer: up.issuer, authorize_scopes: 'openid email profile' },
      AttributeMapping: { email: 'email', 'custom:nothere': 'name' },
    });
    await offer(url, down, ['Upstream', 'Facebook', 'Stub', 'SignInWithApple', 'Badmap']);
    const r = await federatedSignIn(authorizeUrl(down, 'Badmap'), { username: 'uma' });
    assert.equal(r.landed!.searchParams.get('error'), 'invalid_request');
    assert.equal(r.landed!.searchParams.get('error_description'), 'Invalid user attributes: custom:nothere: Attribute does not exist in the schema.\n ');
    assert.equal((await users()).some((u) => u.Username?.startsWith('Badmap_')), false);

    // A pool whose schema requires given_name, which the provider does not map.
    const strict = await downstreamPool(url, [], { Schema: [{ Name: 'given_name', AttributeDataType: 'String', Required: true, Mutable: true }] });
    const strictUp = await upstreamPool(url, [strict.idpResponse]);
    await upstreamUser(url, strictUp, 'sam', { email: 'sam@example.com' });
    await createProvider(url, {
      UserPoolId: strict.poolId,
      ProviderName: 'Upstream',
      ProviderType: 'OIDC',
      ProviderDetails: { client_id: strictUp.clientId, client_secret: strictUp.clientSecret, attributes_request_method: 'GET', oidc_issuer: strictUp.issuer, authorize_scopes: 'openid email' },
      AttributeMapping: { email: 'email' },
    });
    await offer(url, strict, ['Upstream']);
    const r2 = await federatedSignIn(authorizeUrl(strict, 'Upstream'), { username: 'sam' });
    assert.equal(r2.landed!.searchParams.get('error_description'), 'Invalid user attributes: given_name: The attribute is required\n ');
    assert.equal(((await sdk().send(new ListUsersCommand({ UserPoolId: strict.poolId }))).Users ?? []).length, 0);
  });

  test('an upstream that cannot be reached sends the app an error, never a 500', async () => {
    await createProvider(url, {
      UserPoolId: down.poolId,
      ProviderName: 'Dead',
      ProviderType: 'OIDC',
      ProviderDetails: { client_id: 'c', attributes_request_method: 'GET', oidc_issuer: 'http://127.0.0.1:9', authorize_scopes: 'openid' },
    });
    await offer(url, down, ['Upstream', 'Facebook', 'Stub', 'SignInWithApple', 'Badmap', 'Dead']);
    const r = await new Browser().get(authorizeUrl(down, 'Dead', { state: 'd1' }));
    assert.equal(r.status, 302);
    const at = new URL(r.headers.get('location')!);
    assert.equal(at.searchParams.get('error'), 'invalid_request');
    assert.equal(at.searchParams.get('error_description'), 'Dead Error - unreachable ');
  });
});

/**
 * The triggers of a federated sign-in, through the local handler modules of
 * test/fixtures/functions/triggers/ (which record each event): a first sign-in runs
 * PreSignUp_ExternalProvider, PostConfirmation_ConfirmSignUp and PostAuthentication; a later one
 * PreAuthentication and PostAuthentication; a PreSignUp refusal reaches the app in Cognito's words
 * and leaves no user. Two answers with one state race: one wins.
 */
describe('federation: triggers and the single-use state', () => {
  const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions', 'triggers');
  const ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;
  const events = (poolId: string): any[] => {
    const file = join(tmpdir(), 'tobira-trigger-events', `${poolId}.jsonl`);
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  };
  let server: Running;
  let up: Upstream;
  let down: Downstream;

  before(async () => {
    server = await startTestServer({ functionsDir: FUNCTIONS });
    down = await downstreamPool(server.url, [], {
      LambdaConfig: {
        PreSignUp: ARN('pre-sign-up'),
        PostConfirmation: ARN('post-confirmation'),
        PreAuthentication: ARN('pre-authentication'),
        PostAuthentication: ARN('post-authentication'),
      },
    });
    up = await upstreamPool(server.url, [down.idpResponse]);
    await createProvider(server.url, {
      UserPoolId: down.poolId,
      ProviderName: 'Upstream',
      ProviderType: 'OIDC',
      ProviderDetails: { client_id: up.clientId, client_secret: up.clientSecret, attributes_request_method: 'GET', oidc_issuer: up.issuer, authorize_scopes: 'openid email profile' },
      AttributeMapping: { email: 'email', name: 'name' },
    });
    await offer(server.url, down, ['Upstream']);
  });
  after(() => server?.close());

  test('first sign-in: PreSignUp_ExternalProvider, PostConfirmation_ConfirmSignUp, PostAuthentication; then PreAuthentication and PostAuthentication', async () => {
    const sub = await upstreamUser(server.url, up, 'tess', { email: 'tess@example.com', name: 'Tess' });
    const username = `Upstream_${sub}`;
    const first = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'tess' });
    assert.ok(first.landed!.searchParams.get('code'));
    const mine = () => events(down.poolId).filter((e) => e.userName === username);
    assert.deepEqual(mine().map((e) => e.triggerSource), ['PreSignUp_ExternalProvider', 'PostConfirmation_ConfirmSignUp', 'PostAuthentication_Authentication']);
    const signUp = mine()[0];
    assert.equal(signUp.request.userAttributes.email, 'tess@example.com');
    assert.equal(signUp.callerContext.clientId, down.clientId);
    assert.equal(mine()[1].request.userAttributes['cognito:user_status'], 'EXTERNAL_PROVIDER');
    await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'tess' });
    assert.deepEqual(mine().slice(3).map((e) => e.triggerSource), ['PreAuthentication_Authentication', 'PostAuthentication_Authentication']);
  });

  test('a PreSignUp refusal goes to the app as error_description "PreSignUp failed with error ... " and no user is made', async () => {
    const sub = await upstreamUser(server.url, up, 'bert', { email: 'bert@blocked.example' });
    const r = await federatedSignIn(authorizeUrl(down, 'Upstream', { state: 'blocked-1' }), { username: 'bert' });
    assert.equal(r.landed!.searchParams.get('error'), 'invalid_request');
    assert.equal(r.landed!.searchParams.get('error_description'), 'PreSignUp failed with error Invalid email domain: blocked.example. ');
    assert.equal(r.landed!.searchParams.get('state'), 'blocked-1');
    const listed = (await idpClient(server.url).send(new ListUsersCommand({ UserPoolId: down.poolId }))).Users ?? [];
    assert.equal(listed.some((u) => u.Username === `Upstream_${sub}`), false);
  });

  test('two concurrent answers with one state: exactly one signs in', async () => {
    await upstreamUser(server.url, up, 'cora', { email: 'cora@example.com' });
    const browsers = { down: new Browser(), up: new Browser() };
    const { idpResponse } = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'cora' }, browsers, { stopAtIdpResponse: true });
    const cookie = [...browsers.down.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const answers = await Promise.all([1, 2, 3].map(() => fetch(idpResponse, { redirect: 'manual', headers: { cookie } })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [302, 400, 400]);
  });

  test('the answer brought to another browser (login CSRF) ends on the error page and signs nobody in', async () => {
    const sub = await upstreamUser(server.url, up, 'vera', { email: 'vera@example.com' });
    const { idpResponse } = await federatedSignIn(authorizeUrl(down, 'Upstream'), { username: 'vera' }, { down: new Browser(), up: new Browser() }, { stopAtIdpResponse: true });
    const victim = await new Browser().get(idpResponse.href);
    assert.equal(victim.status, 400);
    assert.match(await victim.text(), /Invalid State\/RelayState provided\./);
    const listed = (await idpClient(server.url).send(new ListUsersCommand({ UserPoolId: down.poolId }))).Users ?? [];
    assert.equal(listed.some((u) => u.Username === `Upstream_${sub}`), false);
  });
});
