import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { aws, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';

/** The JWT payload, to see whom a token names. */
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));

/** Seed 004's recipe, run as printed: echo -n | openssl dgst -sha256 -hmac <secret> -binary | base64 */
function opensslSecretHash(username: string, clientId: string, secret: string): string {
  return execFileSync('sh', ['-c', 'echo -n "$1$2" | openssl dgst -sha256 -hmac "$3" -binary | base64', 'sh', username, clientId, secret])
    .toString()
    .trim();
}

describe('the seed documents end to end over the AWS CLI', needs('aws'), () => {
  let t: Running;
  let cli: (args: string[]) => ReturnType<typeof aws>;
  before(async () => {
    t = await startTestServer();
    cli = (args) => aws(t.url, ['cognito-idp', ...args, '--region', 'ap-northeast-1']);
  });
  after(() => t.close());

  test('seed 000: pool, client without secret, admin-created user, permanent password, USER_PASSWORD_AUTH', async () => {
    // The seed's JSON is malformed as printed (missing braces); this is the evident intent.
    const pool = await cli([
      'create-user-pool', '--pool-name', 'MyUserPool',
      '--policies', '{"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}}',
      '--auto-verified-attributes', 'email',
      '--schema', '[{"Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true}]',
    ]);
    assert.equal(pool.code, 0, pool.stderr);
    const poolId = pool.json.UserPool.Id;
    const client = await cli(['create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'MyAppClient', '--no-generate-secret', '--supported-identity-providers', 'COGNITO']);
    assert.equal(client.code, 0, client.stderr);
    const clientId = client.json.UserPoolClient.ClientId;
    let r = await cli([
      'admin-create-user', '--user-pool-id', poolId, '--username', 'testuser@example.com',
      '--user-attributes', 'Name=email,Value=testuser@example.com', '--temporary-password', 'TempPass#1234', '--message-action', 'SUPPRESS',
    ]);
    assert.equal(r.code, 0, r.stderr);
    r = await cli(['admin-set-user-password', '--user-pool-id', poolId, '--username', 'testuser@example.com', '--password', 'NewSecurePass#5678', '--permanent']);
    assert.equal(r.code, 0, r.stderr);

    // Step 6 exactly as printed. The client was created without --explicit-auth-flows: Tobira
    // allows the password flows on such a client by default (real Cognito would not; see the
    // strict-mode test below).
    const login = ['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', clientId, '--auth-parameters', 'USERNAME=testuser@example.com,PASSWORD=NewSecurePass#5678'];
    r = await cli(login);
    assert.equal(r.code, 0, r.stderr);
    const result = r.json.AuthenticationResult;
    assert.equal(result.ExpiresIn, 3600);
    assert.equal(result.TokenType, 'Bearer');
    assert.match(result.AccessToken, /^eyJraWQiOi/);
    assert.match(result.IdToken, /^eyJraWQiOi/);
    assert.match(result.RefreshToken, /^eyJjdHkiOi/);
    assert.deepEqual(r.json.ChallengeParameters, {});
    assert.equal(claims(result.IdToken).email, 'testuser@example.com');

    r = await cli(['initiate-auth', '--auth-flow', 'REFRESH_TOKEN_AUTH', '--client-id', clientId, '--auth-parameters', `REFRESH_TOKEN=${result.RefreshToken}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.AuthenticationResult.RefreshToken, undefined);
    assert.equal(claims(r.json.AuthenticationResult.AccessToken).origin_jti, claims(result.AccessToken).origin_jti);
  });

  test('with --strict-auth-flows, a client created without ExplicitAuthFlows refuses USER_PASSWORD_AUTH as Cognito does', async () => {
    const strict = await startTestServer({ strictAuthFlows: true });
    try {
      const scli = (args: string[]) => aws(strict.url, ['cognito-idp', ...args, '--region', 'ap-northeast-1']);
      const pool = await scli(['create-user-pool', '--pool-name', 'strict']);
      const poolId = pool.json.UserPool.Id;
      const client = await scli(['create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'c', '--no-generate-secret']);
      const clientId = client.json.UserPoolClient.ClientId;
      await scli(['admin-create-user', '--user-pool-id', poolId, '--username', 'u1', '--message-action', 'SUPPRESS']);
      await scli(['admin-set-user-password', '--user-pool-id', poolId, '--username', 'u1', '--password', 'NewSecurePass#5678', '--permanent']);
      const login = ['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', clientId, '--auth-parameters', 'USERNAME=u1,PASSWORD=NewSecurePass#5678'];
      let r = await scli(login);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /\(InvalidParameterException\) when calling the InitiateAuth operation: USER_PASSWORD_AUTH flow not enabled for this client/);
      r = await scli(['update-user-pool-client', '--user-pool-id', poolId, '--client-id', clientId, '--explicit-auth-flows', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
      assert.equal(r.code, 0, r.stderr);
      r = await scli(login);
      assert.equal(r.code, 0, r.stderr);
    } finally {
      await strict.close();
    }
  });

  test('seed 001: admin-initiate-auth ADMIN_USER_PASSWORD_AUTH, NEW_PASSWORD_REQUIRED with a missing required email, admin-respond-to-auth-challenge', async () => {
    const pool = await cli(['create-user-pool', '--pool-name', 'Test user pool', '--schema', '[{"Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true}]']);
    const poolId = pool.json.UserPool.Id;
    let r = await cli(['admin-create-user', '--user-pool-id', poolId, '--username', 'user1']);
    assert.equal(r.code, 0, r.stderr);
    const client = await cli(['create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'client1']);
    const clientId = client.json.UserPoolClient.ClientId;

    const login = ['admin-initiate-auth', '--user-pool-id', poolId, '--client-id', clientId, '--auth-flow', 'ADMIN_USER_PASSWORD_AUTH', '--auth-parameters', 'USERNAME=user1,PASSWORD=Password!123'];
    r = await cli(['update-user-pool-client', '--user-pool-id', poolId, '--client-id', clientId, '--explicit-auth-flows', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH']);
    assert.deepEqual(r.json.UserPoolClient.ExplicitAuthFlows, ['ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    r = await cli(['admin-set-user-password', '--user-pool-id', poolId, '--username', 'user1', '--password', 'Password!123']);
    assert.equal(r.code, 0, r.stderr);

    r = await cli(login);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    assert.deepEqual(r.json.ChallengeParameters, {
      USER_ID_FOR_SRP: 'user1',
      requiredAttributes: '["userAttributes.email"]',
      userAttributes: '{"email":""}',
    });
    const session = r.json.Session;
    assert.ok(session.length >= 20 && session.length <= 2048);

    r = await cli([
      'admin-respond-to-auth-challenge', '--user-pool-id', poolId, '--client-id', clientId, '--challenge-name', 'NEW_PASSWORD_REQUIRED',
      '--challenge-responses', 'USERNAME=user1,NEW_PASSWORD=passWORD#123,userAttributes.email=user1@example.com', '--session', session,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.ChallengeParameters, {});
    assert.equal(claims(r.json.AuthenticationResult.IdToken)['cognito:username'], 'user1');

    const user = await cli(['admin-get-user', '--user-pool-id', poolId, '--username', 'user1']);
    assert.equal(user.json.UserStatus, 'CONFIRMED');
    assert.equal(user.json.UserAttributes.find((a: any) => a.Name === 'email').Value, 'user1@example.com');
    r = await cli(login.map((a) => (a.startsWith('USERNAME=') ? 'USERNAME=user1,PASSWORD=passWORD#123' : a)));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.json.AuthenticationResult.AccessToken);
  });

  test('seed 002: an email-username pool; the challenge names the internal username and shows email_verified', async () => {
    const pool = await cli(['create-user-pool', '--pool-name', 'rails-api', '--username-attributes', 'email']);
    const poolId = pool.json.UserPool.Id;
    const client = await cli(['create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'api', '--explicit-auth-flows', 'ALLOW_ADMIN_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    const clientId = client.json.UserPoolClient.ClientId;
    const created = await cli([
      'admin-create-user', '--user-pool-id', poolId, '--username', 'mail@example.com',
      '--user-attributes', 'Name=email,Value=mail@example.com', 'Name=email_verified,Value=true', '--temporary-password', 'Tmp#Pass1234', '--message-action', 'SUPPRESS',
    ]);
    assert.equal(created.code, 0, created.stderr);
    const sub = created.json.User.Username;

    let r = await cli(['admin-initiate-auth', '--user-pool-id', poolId, '--client-id', clientId, '--auth-flow', 'ADMIN_USER_PASSWORD_AUTH', '--auth-parameters', 'USERNAME=mail@example.com,PASSWORD=Tmp#Pass1234']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    assert.match(r.json.ChallengeParameters.USER_ID_FOR_SRP, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(r.json.ChallengeParameters.USER_ID_FOR_SRP, sub);
    assert.equal(r.json.ChallengeParameters.requiredAttributes, '[]');
    assert.deepEqual(JSON.parse(r.json.ChallengeParameters.userAttributes), { email_verified: 'true', email: 'mail@example.com' });

    r = await cli([
      'admin-respond-to-auth-challenge', '--user-pool-id', poolId, '--client-id', clientId, '--challenge-name', 'NEW_PASSWORD_REQUIRED',
      '--challenge-responses', 'NEW_PASSWORD=Perm#Pass5678,USERNAME=mail@example.com', '--session', r.json.Session,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.ChallengeParameters, {});
    const result = r.json.AuthenticationResult;
    assert.deepEqual(Object.keys(result).sort(), ['AccessToken', 'ExpiresIn', 'IdToken', 'RefreshToken', 'TokenType']);
    assert.equal(result.TokenType, 'Bearer');
    assert.equal(claims(result.AccessToken).username, sub);
  });

  test('seed 004: the user answers NEW_PASSWORD_REQUIRED, changes the password, and a client with a secret needs SECRET_HASH', needs('openssl'), async () => {
    const pool = await cli(['create-user-pool', '--pool-name', 'authorizer', '--schema', '[{"Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true}]']);
    const poolId = pool.json.UserPool.Id;
    const spa = await cli(['create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'spa', '--explicit-auth-flows', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    const spaId = spa.json.UserPoolClient.ClientId;
    let r = await cli(['admin-create-user', '--user-pool-id', poolId, '--username', 'taro', '--user-attributes', 'Name=email,Value=taro@example.com', '--temporary-password', 'Temp#Pass123', '--message-action', 'SUPPRESS']);
    assert.equal(r.code, 0, r.stderr);

    r = await cli(['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', spaId, '--auth-parameters', 'USERNAME=taro,PASSWORD=Temp#Pass123']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    assert.deepEqual(r.json.ChallengeParameters, { USER_ID_FOR_SRP: 'taro', requiredAttributes: '[]', userAttributes: '{"email":"taro@example.com"}' });
    // The seed's first form writes `Username=` rather than USERNAME; the Session names the user.
    r = await cli(['respond-to-auth-challenge', '--client-id', spaId, '--challenge-name', 'NEW_PASSWORD_REQUIRED', '--session', r.json.Session, '--challenge-responses', 'Username=taro,NEW_PASSWORD=Real#Pass456']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.AuthenticationResult.ExpiresIn, 3600);
    assert.equal((await cli(['admin-get-user', '--user-pool-id', poolId, '--username', 'taro'])).json.UserStatus, 'CONFIRMED');

    r = await cli(['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', spaId, '--auth-parameters', 'USERNAME=taro,PASSWORD=Real#Pass456']);
    assert.equal(r.code, 0, r.stderr);
    const id = claims(r.json.AuthenticationResult.IdToken);
    assert.equal(id.email, 'taro@example.com');
    assert.equal(id.token_use, 'id');
    r = await cli(['change-password', '--previous-password', 'Real#Pass456', '--proposed-password', 'Next#Pass789', '--access-token', r.json.AuthenticationResult.AccessToken]);
    assert.equal(r.code, 0, r.stderr);
    r = await cli(['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', spaId, '--auth-parameters', 'USERNAME=taro,PASSWORD=Real#Pass456']);
    assert.match(r.stderr, /\(NotAuthorizedException\) when calling the InitiateAuth operation: Incorrect username or password\./);

    const web = await cli(['create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'web', '--generate-secret', '--explicit-auth-flows', 'ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    const webId = web.json.UserPoolClient.ClientId;
    const secret = web.json.UserPoolClient.ClientSecret;
    r = await cli(['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', webId, '--auth-parameters', 'USERNAME=taro,PASSWORD=Next#Pass789']);
    assert.match(r.stderr, new RegExp(`\\(NotAuthorizedException\\) when calling the InitiateAuth operation: Client ${webId} is configured with secret but SECRET_HASH was not received`));
    const wrong = opensslSecretHash('jiro', webId, secret);
    r = await cli(['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', webId, '--auth-parameters', `USERNAME=taro,PASSWORD=Next#Pass789,SECRET_HASH=${wrong}`]);
    assert.match(r.stderr, new RegExp(`Unable to verify secret hash for client ${webId}`));
    const hash = opensslSecretHash('taro', webId, secret);
    r = await cli(['initiate-auth', '--auth-flow', 'USER_PASSWORD_AUTH', '--client-id', webId, '--auth-parameters', `USERNAME=taro,PASSWORD=Next#Pass789,SECRET_HASH=${hash}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(claims(r.json.AuthenticationResult.IdToken).aud, webId);
  });
});
