import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminUpdateUserAttributesCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
  UpdateUserPoolDomainCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { userWithPassword } from './helpers/sign-in.ts';
import type { Running } from '../src/tobira.ts';

/** Cognito's answers where Tobira used to differ (issue 16), through the clients that see them. */
describe('fidelity', () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('JS SDK: an email or phone another user signs in with is AliasExistsException on a change, UsernameExistsException on creation', async () => {
    const sdk = idpClient(t.url);
    const pool = (await sdk.send(new CreateUserPoolCommand({ PoolName: 'aliases', UsernameAttributes: ['email', 'phone_number'] }))).UserPool!.Id!;
    const clientId = (
      await sdk.send(new CreateUserPoolClientCommand({ UserPoolId: pool, ClientName: 'app', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }))
    ).UserPoolClient!.ClientId!;
    await userWithPassword(t.url, pool, 'ann@example.com', 'Ann#Pass1234', { attributes: { email: 'ann@example.com', phone_number: '+15550100001' } });
    await userWithPassword(t.url, pool, 'ben@example.com', 'Ben#Pass1234', { attributes: { email: 'ben@example.com' } });

    // aws/aws-sdk-net#4387: AdminUpdateUserAttributes in an email-username pool.
    assert.deepEqual(
      await sdkError(sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'ben@example.com', UserAttributes: [{ Name: 'email', Value: 'ann@example.com' }] }))),
      { name: 'AliasExistsException', message: 'An account with the given email already exists.' },
    );
    assert.deepEqual(
      await sdkError(sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'ben@example.com', UserAttributes: [{ Name: 'phone_number', Value: '+15550100001' }] }))),
      { name: 'AliasExistsException', message: 'An account with the given phone_number already exists.' },
    );
    // The same through the user's own UpdateUserAttributes.
    const signIn = await sdk.send(
      new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: 'ben@example.com', PASSWORD: 'Ben#Pass1234' } }),
    );
    const token = signIn.AuthenticationResult!.AccessToken!;
    assert.deepEqual(await sdkError(sdk.send(new UpdateUserAttributesCommand({ AccessToken: token, UserAttributes: [{ Name: 'email', Value: 'ann@example.com' }] }))), {
      name: 'AliasExistsException',
      message: 'An account with the given email already exists.',
    });
    // Creation keeps UsernameExistsException.
    assert.deepEqual(await sdkError(sdk.send(new SignUpCommand({ ClientId: clientId, Username: 'ann@example.com', Password: 'Ann#Pass1234' }))), {
      name: 'UsernameExistsException',
      message: 'An account with the given email already exists.',
    });
  });

  test('updating a custom domain without its certificate is "Cannot convert custom domain to prefix domain."', needs('aws'), async () => {
    const pool = await aws(t.url, ['cognito-idp', 'create-user-pool', '--pool-name', 'domains']);
    assert.equal(pool.code, 0, pool.stderr);
    const poolId = pool.json.UserPool.Id;
    const cert = 'arn:aws:acm:us-east-1:000000000000:certificate/abc';
    const made = await aws(t.url, ['cognito-idp', 'create-user-pool-domain', '--user-pool-id', poolId, '--domain', 'auth.fidelity.example', '--custom-domain-config', `CertificateArn=${cert}`]);
    assert.equal(made.code, 0, made.stderr);
    // terraform-provider-aws#43252: a ManagedLoginVersion-only update of a custom domain. The
    // CLI v2 of the test machines (2.9) still requires --custom-domain-config and lacks
    // --managed-login-version, so the JS SDK (whose model has both) sends this one.
    assert.deepEqual(
      await sdkError(idpClient(t.url).send(new UpdateUserPoolDomainCommand({ UserPoolId: poolId, Domain: 'auth.fidelity.example', ManagedLoginVersion: 2 }))),
      { name: 'InvalidParameterException', message: 'Cannot convert custom domain to prefix domain.' },
    );
    const ok = await aws(t.url, [
      'cognito-idp', 'update-user-pool-domain', '--user-pool-id', poolId, '--domain', 'auth.fidelity.example', '--custom-domain-config', `CertificateArn=${cert}`,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
  });
});
