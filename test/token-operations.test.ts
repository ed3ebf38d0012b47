import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  ChangePasswordCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  RevokeTokenCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { aws, idpClient, rawCall, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { PASSWORD, addClient, createPoolAndClient, createUser, sdkError, signIn } from './helpers/tokens.ts';

describe('token-authenticated operations', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  let poolId: string;
  let clientId: string;
  before(async () => {
    t = await startTestServer();
    idp = idpClient(t.url);
    ({ poolId, clientId } = await createPoolAndClient(idp, {
      Schema: [{ Name: 'hidden', AttributeDataType: 'String', DeveloperOnlyAttribute: true, Mutable: true }],
    }));
  });
  after(() => t.close());

  const cliError = (stderr: string) => /An error occurred \((\w+)\) when calling the \w+ operation: (.*)/.exec(stderr)?.slice(1, 3);

  test('get-user (AWS CLI) answers the username and readable attributes', needs('aws'), async () => {
    await createUser(idp, poolId, 'nora', { email: 'nora@example.com', email_verified: 'true', 'dev:custom:hidden': 'x' });
    const { AccessToken } = await signIn(idp, clientId, 'nora');
    const r = await aws(t.url, ['cognito-idp', 'get-user', '--access-token', AccessToken]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.Username, 'nora');
    const attrs = Object.fromEntries(r.json.UserAttributes.map((a: any) => [a.Name, a.Value]));
    assert.equal(r.json.UserAttributes[0].Name, 'sub');
    assert.equal(attrs.email, 'nora@example.com');
    assert.equal(attrs.email_verified, 'true');
    assert.equal(attrs['dev:custom:hidden'], undefined);
  });

  test("malformed, foreign and ID tokens get NotAuthorizedException 'Invalid Access Token'", async () => {
    await createUser(idp, poolId, 'omar');
    const mine = await signIn(idp, clientId, 'omar');
    const other = await startTestServer();
    let foreign: string;
    try {
      const otherIdp = idpClient(other.url);
      const o = await createPoolAndClient(otherIdp);
      await createUser(otherIdp, o.poolId, 'omar');
      foreign = (await signIn(otherIdp, o.clientId, 'omar')).AccessToken;
    } finally {
      await other.close();
    }
    const [h, p, s] = mine.AccessToken.split('.');
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims.username = 'nora';
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    for (const token of ['abc', 'a.b.c', mine.IdToken, foreign!, tampered, `${h}.${p}.`]) {
      const e = await sdkError(idp.send(new GetUserCommand({ AccessToken: token })));
      assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Invalid Access Token' }, token.slice(0, 20));
    }
    const wire = await rawCall(t.url, 'GetUser', { AccessToken: 'x'.repeat(5000) });
    assert.equal(wire.status, 400);
    assert.equal(wire.json.__type, 'NotAuthorizedException');
  });

  test('change-password (AWS CLI): the previous password is checked, then the policy; the new one signs in', needs('aws'), async () => {
    await createUser(idp, poolId, 'pia');
    const { AccessToken } = await signIn(idp, clientId, 'pia');
    const wrong = await aws(t.url, [
      'cognito-idp', 'change-password', '--previous-password', 'Wrong-Passw0rd!', '--proposed-password', 'N3w-Password!', '--access-token', AccessToken,
    ]);
    assert.notEqual(wrong.code, 0);
    assert.deepEqual(cliError(wrong.stderr), ['NotAuthorizedException', 'Incorrect username or password.']);

    const weak = await aws(t.url, [
      'cognito-idp', 'change-password', '--previous-password', PASSWORD, '--proposed-password', 'weakpassword', '--access-token', AccessToken,
    ]);
    assert.equal(cliError(weak.stderr)?.[0], 'InvalidPasswordException');

    const ok = await aws(t.url, [
      'cognito-idp', 'change-password', '--previous-password', PASSWORD, '--proposed-password', 'N3w-Password!', '--access-token', AccessToken,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    await signIn(idp, clientId, 'pia', 'N3w-Password!');
    const old = await sdkError(signIn(idp, clientId, 'pia'));
    assert.deepEqual(old, { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    // Changing the password signs nobody out.
    assert.equal((await idp.send(new GetUserCommand({ AccessToken }))).Username, 'pia');
  });

  test('ChangePassword allows 5 attempts an hour (LimitExceededException after)', async () => {
    await createUser(idp, poolId, 'quinn');
    const { AccessToken } = await signIn(idp, clientId, 'quinn');
    for (let i = 0; i < 5; i++) {
      const e = await sdkError(idp.send(new ChangePasswordCommand({ AccessToken, PreviousPassword: 'Nope-Nope1!', ProposedPassword: 'N3w-Password!' })));
      assert.equal(e.name, 'NotAuthorizedException');
    }
    const e = await sdkError(idp.send(new ChangePasswordCommand({ AccessToken, PreviousPassword: PASSWORD, ProposedPassword: 'N3w-Password!' })));
    assert.deepEqual(e, { name: 'LimitExceededException', message: 'Attempt limit exceeded, please try after some time.' });
  });

  test('GlobalSignOut (JS SDK) revokes the access token and the refresh token; a new sign-in right after works', async () => {
    await createUser(idp, poolId, 'rosa');
    const a = await signIn(idp, clientId, 'rosa');
    const b = await signIn(idp, clientId, 'rosa');
    await idp.send(new GlobalSignOutCommand({ AccessToken: a.AccessToken }));
    for (const token of [a.AccessToken, b.AccessToken]) {
      const e = await sdkError(idp.send(new GetUserCommand({ AccessToken: token })));
      assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Access Token has been revoked' });
    }
    for (const token of [a.RefreshToken, b.RefreshToken]) {
      const e = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: token })));
      assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Refresh Token has been revoked' });
    }
    const c = await signIn(idp, clientId, 'rosa');
    assert.equal((await idp.send(new GetUserCommand({ AccessToken: c.AccessToken }))).Username, 'rosa');
    await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: c.RefreshToken }));
  });

  test('global-sign-out (AWS CLI) with the access token', needs('aws'), async () => {
    await createUser(idp, poolId, 'ruth');
    const s = await signIn(idp, clientId, 'ruth');
    const r = await aws(t.url, ['cognito-idp', 'global-sign-out', '--access-token', s.AccessToken]);
    assert.equal(r.code, 0, r.stderr);
    const again = await aws(t.url, ['cognito-idp', 'get-user', '--access-token', s.AccessToken]);
    assert.deepEqual(cliError(again.stderr), ['NotAuthorizedException', 'Access Token has been revoked']);
  });

  test('admin-user-global-sign-out (AWS CLI) signs a user out everywhere', needs('aws'), async () => {
    await createUser(idp, poolId, 'sam');
    await createUser(idp, poolId, 'tess');
    const sam = await signIn(idp, clientId, 'sam');
    const tess = await signIn(idp, clientId, 'tess');
    const r = await aws(t.url, ['cognito-idp', 'admin-user-global-sign-out', '--user-pool-id', poolId, '--username', 'SAM']);
    assert.equal(r.code, 0, r.stderr);
    const e = await sdkError(idp.send(new GetUserCommand({ AccessToken: sam.AccessToken })));
    assert.equal(e.message, 'Access Token has been revoked');
    assert.equal((await idp.send(new GetUserCommand({ AccessToken: tess.AccessToken }))).Username, 'tess', 'other users stay');
    const missing = await aws(t.url, ['cognito-idp', 'admin-user-global-sign-out', '--user-pool-id', poolId, '--username', 'nobody']);
    assert.deepEqual(cliError(missing.stderr), ['UserNotFoundException', 'User does not exist.']);
  });

  test('revoke-token (AWS CLI) revokes one sign-in: its refresh token and its access tokens, not the others', needs('aws'), async () => {
    await createUser(idp, poolId, 'uma');
    const one = await signIn(idp, clientId, 'uma');
    const two = await signIn(idp, clientId, 'uma');
    const refreshed = (await idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: one.RefreshToken })))
      .AuthenticationResult!;
    const r = await aws(t.url, ['cognito-idp', 'revoke-token', '--token', one.RefreshToken, '--client-id', clientId]);
    assert.equal(r.code, 0, r.stderr);
    for (const token of [one.AccessToken, refreshed.AccessToken!]) {
      const e = await sdkError(idp.send(new GetUserCommand({ AccessToken: token })));
      assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Access Token has been revoked' });
    }
    const e = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: one.RefreshToken })));
    assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Refresh Token has been revoked' });
    assert.equal((await idp.send(new GetUserCommand({ AccessToken: two.AccessToken }))).Username, 'uma');
    // Revoking again, or an unknown token, changes nothing and is not an error.
    assert.equal((await aws(t.url, ['cognito-idp', 'revoke-token', '--token', one.RefreshToken, '--client-id', clientId])).code, 0);
    assert.equal((await aws(t.url, ['cognito-idp', 'revoke-token', '--token', 'unknown.token', '--client-id', clientId])).code, 0);
    // Access tokens cannot be revoked this way.
    const jwt = await aws(t.url, ['cognito-idp', 'revoke-token', '--token', two.AccessToken, '--client-id', clientId]);
    assert.equal(cliError(jwt.stderr)?.[0], 'UnsupportedTokenTypeException');
  });

  test('RevokeToken needs EnableTokenRevocation, and the secret of a client that has one', async () => {
    await createUser(idp, poolId, 'vera');
    const off = await addClient(idp, poolId, { EnableTokenRevocation: false });
    const offTokens = await signIn(idp, off.clientId, 'vera');
    const e1 = await sdkError(idp.send(new RevokeTokenCommand({ ClientId: off.clientId, Token: offTokens.RefreshToken })));
    assert.equal(e1.name, 'UnsupportedOperationException');

    const secret = await addClient(idp, poolId, { GenerateSecret: true, ExplicitAuthFlows: ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] });
    const other = await signIn(idp, clientId, 'vera');
    const e2 = await sdkError(idp.send(new RevokeTokenCommand({ ClientId: secret.clientId, Token: other.RefreshToken })));
    assert.equal(e2.name, 'UnauthorizedException');
    const e3 = await sdkError(
      idp.send(new RevokeTokenCommand({ ClientId: secret.clientId, ClientSecret: 'x'.repeat(51), Token: other.RefreshToken })),
    );
    assert.equal(e3.name, 'UnauthorizedException');
    // The right secret, but a token of another client.
    const e4 = await sdkError(
      idp.send(new RevokeTokenCommand({ ClientId: secret.clientId, ClientSecret: secret.clientSecret, Token: other.RefreshToken })),
    );
    assert.equal(e4.name, 'UnauthorizedException');
    assert.equal((await idp.send(new GetUserCommand({ AccessToken: other.AccessToken }))).Username, 'vera');
  });

  test('a disabled user is refused ("User is disabled."); re-enabled, the old tokens stay revoked', async () => {
    await createUser(idp, poolId, 'wade');
    const s = await signIn(idp, clientId, 'wade');
    await idp.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: 'wade' }));
    const e = await sdkError(idp.send(new GetUserCommand({ AccessToken: s.AccessToken })));
    assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'User is disabled.' });
    const r = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: s.RefreshToken })));
    assert.deepEqual(r, { name: 'NotAuthorizedException', message: 'User is disabled.' });
    await idp.send(new AdminEnableUserCommand({ UserPoolId: poolId, Username: 'wade' }));
    const again = await sdkError(idp.send(new GetUserCommand({ AccessToken: s.AccessToken })));
    assert.equal(again.message, 'Access Token has been revoked');
  });

  test('a deleted user\'s tokens get UserNotFoundException, even if the name is taken again', async () => {
    await createUser(idp, poolId, 'xena');
    const s = await signIn(idp, clientId, 'xena');
    await idp.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: 'xena' }));
    await createUser(idp, poolId, 'xena');
    const e = await sdkError(idp.send(new GetUserCommand({ AccessToken: s.AccessToken })));
    assert.deepEqual(e, { name: 'UserNotFoundException', message: 'User does not exist.' });
    const r = await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: clientId, RefreshToken: s.RefreshToken })));
    assert.equal(r.name, 'UserNotFoundException');
  });
});
