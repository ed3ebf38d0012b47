import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  AdminDisableUserCommand,
  AdminInitiateAuthCommand,
  AdminResetUserPasswordCommand,
  InitiateAuthCommand,
  SignUpCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, rawCall, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import { claims, poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';
import { ManualClock } from '../src/clock.ts';

async function sdkError(p: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  assert.fail('expected the call to fail');
}

describe('USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH and refresh with the JS SDK v3', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  let poolId: string;
  let clientId: string;
  const login = (USERNAME: string, PASSWORD: string, cid = clientId) =>
    sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: cid, AuthParameters: { USERNAME, PASSWORD } }));
  before(async () => {
    t = await startTestServer();
    sdk = idpClient(t.url);
    ({ poolId, clientId } = await poolWithClient(t.url, { AliasAttributes: ['email'] }));
    await userWithPassword(t.url, poolId, 'alice', 'Alice#Pass1', { attributes: { email: 'alice@example.com', email_verified: 'true' } });
  });
  after(() => t.close());

  test('username (any case) or verified email alias signs in; tokens name the internal username', async () => {
    for (const name of ['alice', 'ALICE', 'Alice@Example.com']) {
      const r = await login(name, 'Alice#Pass1');
      assert.deepEqual(r.ChallengeParameters, {});
      const a = r.AuthenticationResult!;
      assert.equal(a.TokenType, 'Bearer');
      assert.equal(a.ExpiresIn, 3600);
      assert.ok(a.RefreshToken);
      assert.equal(claims(a.AccessToken!).username, 'alice');
      assert.equal(claims(a.IdToken!)['cognito:username'], 'alice');
    }
  });

  test('an unverified email alias finds nobody', async () => {
    await userWithPassword(t.url, poolId, 'unverified', 'Unv#Pass123', { attributes: { email: 'unv@example.com' } });
    const e = await sdkError(login('unv@example.com', 'Unv#Pass123'));
    assert.deepEqual(e, { name: 'UserNotFoundException', message: 'User does not exist.' });
  });

  test('AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH, and the legacy ADMIN_NO_SRP_AUTH on a legacy client', async () => {
    const r = await sdk.send(
      new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice#Pass1' } }),
    );
    assert.equal(claims(r.AuthenticationResult!.IdToken!).aud, clientId);
    const legacy = await rawCall(t.url, 'CreateUserPoolClient', { UserPoolId: poolId, ClientName: 'legacy', ExplicitAuthFlows: ['ADMIN_NO_SRP_AUTH'] });
    const legacyId = legacy.json.UserPoolClient.ClientId;
    const l = await sdk.send(
      new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: legacyId, AuthFlow: 'ADMIN_NO_SRP_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice#Pass1' } }),
    );
    assert.ok(l.AuthenticationResult!.AccessToken);
    const e = await sdkError(login('alice', 'Alice#Pass1', legacyId));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'USER_PASSWORD_AUTH flow not enabled for this client' });
  });

  test('REFRESH_TOKEN_AUTH and REFRESH_TOKEN: new tokens, same origin_jti and auth_time, no refresh token', async () => {
    const first = (await login('alice', 'Alice#Pass1')).AuthenticationResult!;
    const r = await sdk.send(new InitiateAuthCommand({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: first.RefreshToken! } }));
    const a = r.AuthenticationResult!;
    assert.equal(a.RefreshToken, undefined);
    assert.equal(claims(a.AccessToken!).origin_jti, claims(first.AccessToken!).origin_jti);
    assert.equal(claims(a.IdToken!).auth_time, claims(first.IdToken!).auth_time);
    const admin = await sdk.send(
      new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: clientId, AuthFlow: 'REFRESH_TOKEN', AuthParameters: { REFRESH_TOKEN: first.RefreshToken! } }),
    );
    assert.ok(admin.AuthenticationResult!.IdToken);
    const e = await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: clientId, AuthParameters: { REFRESH_TOKEN: 'not.a.token' } })));
    assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Invalid Refresh Token.' });
  });

  test('flows on the wrong operation, flows the client does not allow, and flows Tobira lacks', async () => {
    let e = await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'alice', PASSWORD: 'x' } })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Initiate Auth method not supported.' });
    e = await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'ADMIN_NO_SRP_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'alice', PASSWORD: 'x' } })));
    assert.equal(e.message, 'Initiate Auth method not supported.');
    e = await sdkError(
      sdk.send(new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'x' } })),
    );
    assert.equal(e.message, 'Initiate Auth method not supported.');
    const srpOnly = await rawCall(t.url, 'CreateUserPoolClient', {
      UserPoolId: poolId,
      ClientName: 'srp',
      ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    });
    const srpId = srpOnly.json.UserPoolClient.ClientId;
    e = await sdkError(login('alice', 'Alice#Pass1', srpId));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'USER_PASSWORD_AUTH flow not enabled for this client' });
    e = await sdkError(
      sdk.send(new AdminInitiateAuthCommand({ UserPoolId: poolId, ClientId: srpId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'x' } })),
    );
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Auth flow not enabled for this client' });
    // CUSTOM_AUTH needs ALLOW_CUSTOM_AUTH (test/custom-auth.test.ts).
    e = await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'CUSTOM_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'alice' } })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'CUSTOM_AUTH flow not enabled for this client' });
    // USER_AUTH needs ALLOW_USER_AUTH (test/user-auth.test.ts).
    e = await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'alice' } })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'USER_AUTH flow not enabled for this client' });
  });

  test('missing parameters, an unknown client, and a client of another pool', async () => {
    let e = await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'alice' } })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Missing required parameter PASSWORD' });
    e = await sdkError(sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Missing required parameter USERNAME' });
    e = await sdkError(login('alice', 'Alice#Pass1', 'nosuchclient1234567890abcd'));
    assert.deepEqual(e, { name: 'ResourceNotFoundException', message: 'User pool client nosuchclient1234567890abcd does not exist.' });
    const other = await poolWithClient(t.url);
    e = await sdkError(
      sdk.send(new AdminInitiateAuthCommand({ UserPoolId: other.poolId, ClientId: clientId, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'alice', PASSWORD: 'Alice#Pass1' } })),
    );
    assert.deepEqual(e, { name: 'ResourceNotFoundException', message: `User pool client ${clientId} does not exist.` });
  });
});

describe('user states at sign-in', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  const clock = new ManualClock(Date.now());
  let poolId: string;
  let clientId: string;
  const login = (USERNAME: string, PASSWORD: string, cid = clientId) =>
    sdk.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: cid, AuthParameters: { USERNAME, PASSWORD } }));
  before(async () => {
    t = await startTestServer({}, { clock });
    sdk = idpClient(t.url);
    ({ poolId, clientId } = await poolWithClient(t.url));
  });
  after(() => t.close());

  test('UNCONFIRMED: UserNotConfirmedException, even with a wrong password', async () => {
    await sdk.send(new SignUpCommand({ ClientId: clientId, Username: 'fresh', Password: 'Fresh#Pass1', UserAttributes: [{ Name: 'email', Value: 'fresh@example.com' }] }));
    for (const pw of ['Fresh#Pass1', 'wrong']) {
      assert.deepEqual(await sdkError(login('fresh', pw)), { name: 'UserNotConfirmedException', message: 'User is not confirmed.' });
    }
  });

  test('disabled: NotAuthorizedException "User is disabled."', async () => {
    await userWithPassword(t.url, poolId, 'gone', 'Gone#Pass1');
    await sdk.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: 'gone' }));
    assert.deepEqual(await sdkError(login('gone', 'Gone#Pass1')), { name: 'NotAuthorizedException', message: 'User is disabled.' });
  });

  test('RESET_REQUIRED: PasswordResetRequiredException', async () => {
    await userWithPassword(t.url, poolId, 'reset', 'Reset#Pass1', { attributes: { email: 'reset@example.com', email_verified: 'true' } });
    await sdk.send(new AdminResetUserPasswordCommand({ UserPoolId: poolId, Username: 'reset' }));
    assert.deepEqual(await sdkError(login('reset', 'Reset#Pass1')), { name: 'PasswordResetRequiredException', message: 'Password reset required for the user' });
  });

  test('FORCE_CHANGE_PASSWORD: the challenge, until the temporary password expires', async () => {
    await userWithPassword(t.url, poolId, 'temp', 'Temp#Pass1', { temporary: true });
    const r = await login('temp', 'Temp#Pass1');
    assert.equal(r.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    assert.deepEqual(await sdkError(login('temp', 'Temp#Pass2')), { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    clock.advance(7 * 24 * 3600 * 1000 + 1000);
    assert.deepEqual(await sdkError(login('temp', 'Temp#Pass1')), {
      name: 'NotAuthorizedException',
      message: 'Temporary password has expired and must be reset by an administrator.',
    });
  });

  test('an unknown user: UserNotFoundException, or with PreventUserExistenceErrors the wrong-password answer in like time', async () => {
    assert.deepEqual(await sdkError(login('nobody', 'Any#Pass1')), { name: 'UserNotFoundException', message: 'User does not exist.' });
    const hidden = await rawCall(t.url, 'CreateUserPoolClient', {
      UserPoolId: poolId,
      ClientName: 'hidden',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    const hiddenId = hidden.json.UserPoolClient.ClientId;
    await userWithPassword(t.url, poolId, 'known', 'Known#Pass1');
    await sdkError(login('nobody', 'Any#Pass1', hiddenId)); // warms the dummy hash
    const time = async (name: string) => {
      const started = performance.now();
      const e = await sdkError(login(name, 'Any#Pass1', hiddenId));
      assert.deepEqual(e, { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
      return performance.now() - started;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 4; i++) {
      unknown.push(await time(`nobody${i}`));
      wrong.push(await time('known'));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
    // Both verify an argon2id hash; the unknown path must not answer markedly faster.
    assert.ok(median(unknown) > median(wrong) * 0.5, `unknown ${median(unknown)} ms vs wrong password ${median(wrong)} ms`);
  });
});

describe('boto3', needs('boto3'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('initiate_auth USER_PASSWORD_AUTH, REFRESH_TOKEN_AUTH, admin_initiate_auth and a wrong password', async () => {
    const { poolId, clientId } = await poolWithClient(t.url);
    await userWithPassword(t.url, poolId, 'py', 'Py#Pass1234');
    const script = `
import boto3, json, sys
c = boto3.client('cognito-idp', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='tobira-test-secret')
out = {}
r = c.initiate_auth(ClientId=sys.argv[3], AuthFlow='USER_PASSWORD_AUTH', AuthParameters={'USERNAME': 'py', 'PASSWORD': 'Py#Pass1234'})
out['login'] = r['AuthenticationResult']
r = c.initiate_auth(ClientId=sys.argv[3], AuthFlow='REFRESH_TOKEN_AUTH', AuthParameters={'REFRESH_TOKEN': out['login']['RefreshToken']})
out['refresh'] = r['AuthenticationResult']
r = c.admin_initiate_auth(UserPoolId=sys.argv[2], ClientId=sys.argv[3], AuthFlow='ADMIN_USER_PASSWORD_AUTH', AuthParameters={'USERNAME': 'py', 'PASSWORD': 'Py#Pass1234'})
out['admin'] = r['AuthenticationResult']
try:
    c.initiate_auth(ClientId=sys.argv[3], AuthFlow='USER_PASSWORD_AUTH', AuthParameters={'USERNAME': 'py', 'PASSWORD': 'nope'})
except c.exceptions.NotAuthorizedException as e:
    out['wrong'] = e.response['Error']
print(json.dumps(out))
`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, ['-c', script, t.url, poolId, clientId], { timeout: 60_000 }, (err, out, stderr) => (err ? reject(new Error(stderr)) : resolve(out))),
    );
    const out = JSON.parse(stdout);
    assert.equal(out.login.TokenType, 'Bearer');
    assert.equal(claims(out.login.AccessToken).username, 'py');
    assert.equal(out.refresh.RefreshToken, undefined);
    assert.equal(claims(out.refresh.IdToken)['cognito:username'], 'py');
    assert.ok(out.admin.RefreshToken);
    assert.deepEqual(out.wrong, { Code: 'NotAuthorizedException', Message: 'Incorrect username or password.' });
  });
});
