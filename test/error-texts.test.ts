import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConfirmForgotPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ForgotPasswordCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserAttributeVerificationCodeCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
  UpdateUserPoolClientCommand,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { poolWithClient, userWithPassword } from './helpers/sign-in.ts';
import { lastCode } from './helpers/outbox.ts';
import type { Running } from '../src/tobira.ts';

/**
 * Error names and messages Tobira must answer word for word as real Cognito does, each where a
 * real response is quoted in public material (the source is named at each case). All are HTTP 400.
 */
describe('error texts as real Cognito words them', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  before(async () => {
    t = await startTestServer();
    idp = idpClient(t.url);
  });
  after(() => t.close());

  const signIn = async (clientId: string, username: string, password: string) =>
    idp.send(new InitiateAuthCommand({ AuthFlow: 'USER_PASSWORD_AUTH', ClientId: clientId, AuthParameters: { USERNAME: username, PASSWORD: password } }));

  const accessTokenOf = async (pool: Partial<CreateUserPoolCommandInput>, attributes: Record<string, string>) => {
    const { poolId, clientId } = await poolWithClient(t.url, pool);
    await userWithPassword(t.url, poolId, 'ann', 'Ann#Pass123', { attributes });
    return (await signIn(clientId, 'ann', 'Ann#Pass123')).AuthenticationResult!.AccessToken!;
  };

  test('OAuth clients: a code or implicit flow without callback URLs, openid with client_credentials', needs('aws'), async () => {
    const { UserPool } = await idp.send(new CreateUserPoolCommand({ PoolName: 'oauth' }));
    const poolId = UserPool!.Id!;
    // cisagov/crossfeed#440, anomalyco/sst#6272 (400).
    const noCallback = { name: 'InvalidOAuthFlowException', message: 'CallbackUrls can not be empty when code flow or implicit flow is selected' };
    for (const flow of ['code', 'implicit'] as const) {
      const input = { UserPoolId: poolId, ClientName: flow, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: [flow], AllowedOAuthScopes: ['openid'] };
      assert.deepEqual(await sdkError(idp.send(new CreateUserPoolClientCommand(input))), noCallback, flow);
    }
    const { UserPoolClient } = await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'plain' }));
    assert.deepEqual(
      await sdkError(
        idp.send(
          new UpdateUserPoolClientCommand({
            UserPoolId: poolId,
            ClientId: UserPoolClient!.ClientId,
            AllowedOAuthFlowsUserPoolClient: true,
            AllowedOAuthFlows: ['code'],
            AllowedOAuthScopes: ['openid'],
          }),
        ),
      ),
      noCallback,
    );
    const raw = await rawCall(t.url, 'CreateUserPoolClient', {
      UserPoolId: poolId,
      ClientName: 'raw',
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid'],
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(raw.json, { __type: noCallback.name, message: noCallback.message });
    const cli = await aws(t.url, [
      'cognito-idp', 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'cli',
      '--allowed-o-auth-flows-user-pool-client', '--allowed-o-auth-flows', 'code', '--allowed-o-auth-scopes', 'openid',
    ]);
    assert.notEqual(cli.code, 0);
    assert.match(
      cli.stderr,
      /An error occurred \(InvalidOAuthFlowException\) when calling the CreateUserPoolClient operation: CallbackUrls can not be empty when code flow or implicit flow is selected/,
    );

    // hashicorp/terraform-provider-aws#4984.
    const m2m = { UserPoolId: poolId, ClientName: 'm2m', GenerateSecret: true, AllowedOAuthFlowsUserPoolClient: true, AllowedOAuthFlows: ['client_credentials' as const] };
    assert.deepEqual(await sdkError(idp.send(new CreateUserPoolClientCommand({ ...m2m, AllowedOAuthScopes: ['openid'] }))), {
      name: 'InvalidOAuthFlowException',
      message: 'openid is not supported with client_credentials flow',
    });
  });

  test('password policy texts differ by operation', async () => {
    const { poolId, clientId } = await poolWithClient(t.url, { AutoVerifiedAttributes: ['email'] });
    // SignUp: aws-amplify/amplify-js#2416.
    assert.deepEqual(
      await sdkError(idp.send(new SignUpCommand({ ClientId: clientId, Username: 'sam', Password: 'short', UserAttributes: [{ Name: 'email', Value: 'sam@example.com' }] }))),
      { name: 'InvalidPasswordException', message: 'Password did not conform with policy: Password not long enough' },
    );

    // ConfirmForgotPassword and the NEW_PASSWORD_REQUIRED answer: "Password does not conform to
    // policy: ..." (public test suites and handlers that match Cognito's reset and forced-change texts).
    const does = { name: 'InvalidPasswordException', message: 'Password does not conform to policy: Password not long enough' };
    await userWithPassword(t.url, poolId, 'rita', 'Rita#Pass123', { attributes: { email: 'rita@example.com', email_verified: 'true' } });
    await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'rita' }));
    const code = await lastCode(t.url, 'rita@example.com');
    assert.deepEqual(await sdkError(idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'rita', ConfirmationCode: code, Password: 'short' }))), does);

    await userWithPassword(t.url, poolId, 'tess', 'Temp#Pass123', { temporary: true });
    const challenge = await signIn(clientId, 'tess', 'Temp#Pass123');
    assert.equal(challenge.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    assert.deepEqual(
      await sdkError(
        idp.send(
          new RespondToAuthChallengeCommand({
            ClientId: clientId,
            ChallengeName: 'NEW_PASSWORD_REQUIRED',
            Session: challenge.Session,
            ChallengeResponses: { USERNAME: 'tess', NEW_PASSWORD: 'short' },
          }),
        ),
      ),
      does,
    );
  });

  test('a refresh token presented by another client of the pool', async () => {
    // aws/aws-sdk-js#4016: Cognito answers so since January 2022 (before: "Invalid Refresh Token.").
    const { poolId, clientId } = await poolWithClient(t.url);
    const other = await idp.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'other', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
    );
    const otherId = other.UserPoolClient!.ClientId!;
    await userWithPassword(t.url, poolId, 'rob', 'Rob#Pass1234');
    const refresh = (await signIn(clientId, 'rob', 'Rob#Pass1234')).AuthenticationResult!.RefreshToken!;
    const different = { name: 'NotAuthorizedException', message: 'Refresh Token has different Client' };
    assert.deepEqual(
      await sdkError(idp.send(new InitiateAuthCommand({ AuthFlow: 'REFRESH_TOKEN_AUTH', ClientId: otherId, AuthParameters: { REFRESH_TOKEN: refresh } }))),
      different,
    );
    assert.deepEqual(await sdkError(idp.send(new GetTokensFromRefreshTokenCommand({ ClientId: otherId, RefreshToken: refresh }))), different);
  });

  test('GetUserAttributeVerificationCode for an attribute that cannot be verified', async () => {
    // aws-amplify/amplify-js#3652.
    const token = await accessTokenOf({}, { email: 'ann@example.com', given_name: 'Ann' });
    assert.deepEqual(await sdkError(idp.send(new GetUserAttributeVerificationCodeCommand({ AccessToken: token, AttributeName: 'given_name' }))), {
      name: 'InvalidParameterException',
      message: 'Invalid attribute name. Only phone_number and email can be verified.',
    });
  });

  test('UpdateUserAttributes: an immutable attribute, and a required one emptied', async () => {
    // aws-amplify/amplify-swift#3981 (and the hosted UI's "user.email: Attribute cannot
    // be updated.\n" in aws-amplify/amplify-js#3526).
    const immutable = await accessTokenOf(
      { Schema: [{ Name: 'email', AttributeDataType: 'String', Mutable: false }] },
      { email: 'ann@example.com', email_verified: 'true' },
    );
    assert.deepEqual(await sdkError(idp.send(new UpdateUserAttributesCommand({ AccessToken: immutable, UserAttributes: [{ Name: 'email', Value: 'new@example.com' }] }))), {
      name: 'InvalidParameterException',
      message: 'user.email: Attribute cannot be updated.\n',
    });
    // aws-amplify/aws-sdk-ios#4251.
    const required = await accessTokenOf(
      { Schema: [{ Name: 'email', AttributeDataType: 'String', Required: true, Mutable: true }] },
      { email: 'ann@example.com', email_verified: 'true' },
    );
    assert.deepEqual(await sdkError(idp.send(new UpdateUserAttributesCommand({ AccessToken: required, UserAttributes: [{ Name: 'email', Value: '' }] }))), {
      name: 'InvalidParameterException',
      message: 'user.email: Required attribute cannot be deleted.',
    });
  });
});
