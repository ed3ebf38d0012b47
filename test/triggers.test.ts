import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  ConfirmForgotPasswordCommand,
  ConfirmSignUpCommand,
  CreateGroupCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ForgotPasswordCommand,
  GetUserAttributeVerificationCodeCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  UpdateUserAttributesCommand,
  type CognitoIdentityProviderClient,
  type LambdaConfigType,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import { idpClient, okCall, startTestServer } from './helpers/tobira.ts';
import { lastCode, outboxMessages } from './helpers/outbox.ts';
import { decodeJwt, httpJwksCache, PASSWORD, sdkError } from './helpers/tokens.ts';
import { gatewayFor } from './helpers/gateway.ts';
import { DeviceSrp, makeDeviceSecret } from './helpers/device-client.ts';

/**
 * Every user-pool trigger of issue 11 but UserMigration and the custom-auth three, run through
 * local handler modules (test/fixtures/functions/triggers/, each recording the event it gets to
 * <tmpdir>/tobira-trigger-events/<poolId>.jsonl): the event Tobira sends, compared field by field
 * with the developer guide's shapes (cognito-protocols.md §7), and the effect of the answer.
 */

const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions', 'triggers');
// The key custom-email-sender.mjs decrypts with.
const SENDER_KEY = 'dG9iaXJhLXRlc3Qtc2VuZGVyLWtleS0zMi1ieXRlcyE=';
const ARN = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

function events(poolId: string): any[] {
  const file = join(tmpdir(), 'tobira-trigger-events', `${poolId}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}
const eventsOf = (poolId: string, source: string) => events(poolId).filter((e) => e.triggerSource === source);

async function waitFor<T>(f: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The envelope every event shares (cognito-protocols.md §7.1). */
function assertEnvelope(e: any, poolId: string, source: string, clientId: string, version = '1') {
  assert.equal(e.version, version);
  assert.equal(e.triggerSource, source);
  assert.equal(e.region, 'eu-west-1');
  assert.equal(e.userPoolId, poolId);
  assert.equal(typeof e.userName, 'string');
  assert.equal(typeof e.callerContext.awsSdkVersion, 'string');
  assert.equal(e.callerContext.clientId, clientId);
  assert.equal(typeof e.request, 'object');
  assert.equal(typeof e.response, 'object');
}

describe('Lambda triggers with local handler modules', { timeout: 240_000 }, () => {
  let t: Awaited<ReturnType<typeof startTestServer>>;
  let idp: CognitoIdentityProviderClient;

  before(async () => {
    t = await startTestServer({ functionsDir: FUNCTIONS, issuerMode: 'aws', customSenderKey: SENDER_KEY, region: 'eu-west-1' });
    idp = idpClient(t.url, 'eu-west-1');
  });
  after(() => t.close());

  async function pool(LambdaConfig: LambdaConfigType, extra: Record<string, unknown> = {}) {
    const p = await idp.send(
      new CreateUserPoolCommand({ PoolName: 'triggers', AutoVerifiedAttributes: ['email'], LambdaConfig, ...extra }),
    );
    const poolId = p.UserPool!.Id!;
    const c = await idp.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: 'app',
        ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH'],
      }),
    );
    return { poolId, clientId: c.UserPoolClient!.ClientId! };
  }

  const signUp = (clientId: string, username: string, email: string, extra: Record<string, unknown> = {}) =>
    idp.send(new SignUpCommand({ ClientId: clientId, Username: username, Password: PASSWORD, UserAttributes: [{ Name: 'email', Value: email }], ...extra }));

  const statusOf = async (poolId: string, username: string) => {
    const u = await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }));
    return { status: u.UserStatus, attrs: Object.fromEntries(u.UserAttributes!.map((a) => [a.Name, a.Value])) };
  };

  test('PreSignUp: the event, an auto-confirmation, and a refusal whose message the client sees, leaving no user', async () => {
    const { poolId, clientId } = await pool({ PreSignUp: ARN('pre-sign-up'), PostConfirmation: ARN('post-confirmation') });

    const ok = await signUp(clientId, 'tara', 'tara@trusted.example', {
      ValidationData: [{ Name: 'invite', Value: 'x1' }],
      ClientMetadata: { campaign: 'spring' },
    });
    assert.equal(ok.UserConfirmed, true);
    assert.equal(ok.CodeDeliveryDetails, undefined);
    const e = eventsOf(poolId, 'PreSignUp_SignUp')[0];
    assertEnvelope(e, poolId, 'PreSignUp_SignUp', clientId);
    assert.equal(e.userName, 'tara');
    assert.deepEqual(e.request.userAttributes, { email: 'tara@trusted.example' });
    assert.deepEqual(e.request.validationData, { invite: 'x1' });
    assert.deepEqual(e.request.clientMetadata, { campaign: 'spring' });
    assert.deepEqual(e.response, { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false });
    const tara = await statusOf(poolId, 'tara');
    assert.equal(tara.status, 'CONFIRMED');
    assert.equal(tara.attrs.email_verified, 'true');
    assert.equal((await outboxMessages(t.url, { to: 'tara@trusted.example' })).length, 0, 'an auto-confirmed user gets no code');
    // An auto-confirmed user reaches PostConfirmation at sign-up.
    const pc = eventsOf(poolId, 'PostConfirmation_ConfirmSignUp');
    assert.equal(pc.length, 1);
    assert.equal(pc[0].request.userAttributes['cognito:user_status'], 'CONFIRMED');

    const refused = await sdkError(signUp(clientId, 'bad', 'bad@blocked.example'));
    assert.deepEqual(refused, { name: 'UserLambdaValidationException', message: 'PreSignUp failed with error Invalid email domain: blocked.example.' });
    assert.equal((await sdkError(idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'bad' })))).name, 'UserNotFoundException');
    assert.equal((await outboxMessages(t.url, { to: 'bad@blocked.example' })).length, 0);

    // Verifying without confirming is refused (aws/aws-sdk-java#1049), and leaves no user.
    const verifyOnly = await sdkError(signUp(clientId, 'vic', 'vic@verify-only.example'));
    assert.deepEqual(verifyOnly, { name: 'InvalidParameterException', message: 'Phone or email cannot be auto verified, when user is not being auto confirmed.' });
    assert.equal((await sdkError(idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'vic' })))).name, 'UserNotFoundException');

    // A plain sign-up stays UNCONFIRMED with its code.
    const plain = await signUp(clientId, 'paul', 'paul@example.com');
    assert.equal(plain.UserConfirmed, false);
    assert.equal(plain.CodeDeliveryDetails?.DeliveryMedium, 'EMAIL');

    // AdminCreateUser: PreSignUp_AdminCreateUser with CLIENT_ID_NOT_APPLICABLE; the flags are ignored.
    await idp.send(
      new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'ada', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'ada@trusted.example' }], ClientMetadata: { by: 'ops' } }),
    );
    const admin = eventsOf(poolId, 'PreSignUp_AdminCreateUser')[0];
    assertEnvelope(admin, poolId, 'PreSignUp_AdminCreateUser', 'CLIENT_ID_NOT_APPLICABLE');
    assert.deepEqual(admin.request.clientMetadata, { by: 'ops' });
    assert.equal((await statusOf(poolId, 'ada')).status, 'FORCE_CHANGE_PASSWORD');
    const adminRefused = await sdkError(
      idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'eve', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'eve@blocked.example' }] })),
    );
    assert.equal(adminRefused.name, 'UserLambdaValidationException');
    assert.equal((await sdkError(idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'eve' })))).name, 'UserNotFoundException');
  });

  test('PostConfirmation: ConfirmSignUp and ConfirmForgotPassword events; a failing function leaves the user confirmed', async () => {
    const { poolId, clientId } = await pool({ PostConfirmation: ARN('post-confirmation') });
    await signUp(clientId, 'carl', 'carl@example.com');
    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'carl', ConfirmationCode: await lastCode(t.url, 'carl@example.com'), ClientMetadata: { src: 'web' } }));
    const e = eventsOf(poolId, 'PostConfirmation_ConfirmSignUp')[0];
    assertEnvelope(e, poolId, 'PostConfirmation_ConfirmSignUp', clientId);
    assert.equal(e.userName, 'carl');
    assert.deepEqual(e.request.clientMetadata, { src: 'web' });
    assert.equal(e.request.userAttributes['cognito:user_status'], 'CONFIRMED');
    assert.equal(e.request.userAttributes.email_verified, 'true');
    assert.match(e.request.userAttributes.sub, /^[0-9a-f-]{36}$/);
    assert.deepEqual(e.response, {});

    await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'carl' }));
    await idp.send(
      new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'carl', Password: 'N3w-Password!', ConfirmationCode: await lastCode(t.url, 'carl@example.com') }),
    );
    assert.equal(eventsOf(poolId, 'PostConfirmation_ConfirmForgotPassword').length, 1);

    await signUp(clientId, 'fran', 'fail.fran@example.com');
    const failed = await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'fran', ConfirmationCode: await lastCode(t.url, 'fail.fran@example.com') })));
    assert.deepEqual(failed, { name: 'UserLambdaValidationException', message: 'PostConfirmation failed with error welcome email service down.' });
    assert.equal((await statusOf(poolId, 'fran')).status, 'CONFIRMED');
  });

  test('PreAuthentication and PostAuthentication: events, ClientMetadata where Cognito passes it, and a refused sign-in', async () => {
    const { poolId, clientId } = await pool({ PreAuthentication: ARN('pre-authentication'), PostAuthentication: ARN('post-authentication') });
    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'nina', TemporaryPassword: 'Temp-Pass1!', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'nina@example.com' }] }));
    const first = await idp.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nina', PASSWORD: 'Temp-Pass1!' }, ClientMetadata: { app: 'web' } }),
    );
    assert.equal(first.ChallengeName, 'NEW_PASSWORD_REQUIRED');
    const pre = eventsOf(poolId, 'PreAuthentication_Authentication')[0];
    assertEnvelope(pre, poolId, 'PreAuthentication_Authentication', clientId);
    assert.deepEqual(pre.request.validationData, { app: 'web' });
    assert.equal(pre.request.userAttributes['cognito:user_status'], 'FORCE_CHANGE_PASSWORD');
    assert.equal(pre.request.userNotFound, undefined);
    assert.equal(eventsOf(poolId, 'PostAuthentication_Authentication').length, 0, 'not before the last challenge');

    const done = await idp.send(
      new RespondToAuthChallengeCommand({
        ClientId: clientId,
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: first.Session,
        ChallengeResponses: { USERNAME: 'nina', NEW_PASSWORD: PASSWORD },
        ClientMetadata: { step: 'new-password' },
      }),
    );
    assert.ok(done.AuthenticationResult?.IdToken);
    const post = eventsOf(poolId, 'PostAuthentication_Authentication')[0];
    assertEnvelope(post, poolId, 'PostAuthentication_Authentication', clientId);
    assert.deepEqual(post.request.clientMetadata, { step: 'new-password' });
    assert.equal(post.request.userAttributes['cognito:user_status'], 'CONFIRMED');

    const blocked = await sdkError(
      idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nina', PASSWORD }, ClientMetadata: { block: 'yes' } })),
    );
    assert.deepEqual(blocked, { name: 'UserLambdaValidationException', message: 'PreAuthentication failed with error Sign-in blocked by policy.' });
    // InitiateAuth's ClientMetadata is not PostAuthentication's.
    await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nina', PASSWORD }, ClientMetadata: { app: 'cli' } }));
    assert.equal(eventsOf(poolId, 'PostAuthentication_Authentication').at(-1).request.clientMetadata, undefined);

    // An unknown user: no PreAuthentication, unless the client hides user existence (then userNotFound).
    const before = eventsOf(poolId, 'PreAuthentication_Authentication').length;
    assert.equal((await sdkError(idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ghost', PASSWORD } })))).name, 'UserNotFoundException');
    assert.equal(eventsOf(poolId, 'PreAuthentication_Authentication').length, before);
    const hiding = await idp.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'hiding', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'], PreventUserExistenceErrors: 'ENABLED' }),
    );
    const hidden = await sdkError(
      idp.send(new InitiateAuthCommand({ ClientId: hiding.UserPoolClient!.ClientId!, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ghost', PASSWORD } })),
    );
    assert.deepEqual(hidden, { name: 'NotAuthorizedException', message: 'Incorrect username or password.' });
    const ghost = eventsOf(poolId, 'PreAuthentication_Authentication').at(-1);
    assert.equal(ghost.userName, 'ghost');
    assert.equal(ghost.request.userNotFound, true);
    assert.deepEqual(ghost.request.userAttributes, {});
  });

  test('PreTokenGeneration V1: claims added and suppressed in the ID token, groups overridden, on sign-in and refresh; aws-jwt-verify accepts them', async () => {
    const { poolId, clientId } = await pool({ PreTokenGeneration: ARN('pre-token-v1') });
    await idp.send(new CreateGroupCommand({ UserPoolId: poolId, GroupName: 'staff' }));
    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'vera', TemporaryPassword: PASSWORD, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'vera@example.com' }] }));
    await idp.send(new AdminAddUserToGroupCommand({ UserPoolId: poolId, Username: 'vera', GroupName: 'staff' }));
    const first = await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'vera', PASSWORD } }));
    const r = (
      await idp.send(
        new RespondToAuthChallengeCommand({ ClientId: clientId, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: first.Session, ChallengeResponses: { USERNAME: 'vera', NEW_PASSWORD: PASSWORD } }),
      )
    ).AuthenticationResult!;

    const e = eventsOf(poolId, 'TokenGeneration_NewPasswordChallenge')[0];
    assertEnvelope(e, poolId, 'TokenGeneration_NewPasswordChallenge', clientId, '1');
    assert.deepEqual(e.request.groupConfiguration, { groupsToOverride: ['staff'], iamRolesToOverride: [], preferredRole: null });
    assert.equal(e.request.scopes, undefined);
    assert.deepEqual(e.response, { claimsOverrideDetails: null });

    const { cache } = httpJwksCache((uri) => uri.replace(/^https:\/\/cognito-idp\.[^/]+/, t.url));
    const idVerifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: 'id', clientId }, { jwksCache: cache });
    const accessVerifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: 'access', clientId }, { jwksCache: cache });
    const id = await idVerifier.verify(r.IdToken!);
    assert.equal(id.tenant, 'acme');
    assert.equal(id['custom:plan'], 'gold');
    assert.equal(id.email, undefined);
    assert.notEqual(id.sub, 'not-allowed');
    assert.deepEqual(id['cognito:groups'], ['vip']);
    assert.deepEqual(id['cognito:roles'], ['arn:aws:iam::123456789012:role/vip']);
    assert.equal(id['cognito:preferred_role'], 'arn:aws:iam::123456789012:role/vip');
    const access = await accessVerifier.verify(r.AccessToken!);
    assert.deepEqual(access['cognito:groups'], ['vip']);
    assert.equal(access.tenant, undefined, 'V1 leaves the access token alone');

    const refreshed = await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: r.RefreshToken! } }));
    assert.equal(eventsOf(poolId, 'TokenGeneration_RefreshTokens').length, 1);
    assert.equal((await idVerifier.verify(refreshed.AuthenticationResult!.IdToken!)).tenant, 'acme');

    await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'vera', PASSWORD } }));
    assert.equal(eventsOf(poolId, 'TokenGeneration_Authentication').length, 1);
  });

  test('a remembered device: PostAuthentication newDeviceUsed, and TokenGeneration_AuthenticateDevice after DEVICE_PASSWORD_VERIFIER', async () => {
    const { poolId, clientId } = await pool(
      { PostAuthentication: ARN('post-authentication'), PreTokenGeneration: ARN('pre-token-v1') },
      { DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: false } },
    );
    const { AdminSetUserPasswordCommand, ConfirmDeviceCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'dora', MessageAction: 'SUPPRESS' }));
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'dora', Password: PASSWORD, Permanent: true }));
    const first = (await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'dora', PASSWORD } }))).AuthenticationResult!;
    assert.equal(eventsOf(poolId, 'PostAuthentication_Authentication').at(-1).request.newDeviceUsed, true);
    const meta = first.NewDeviceMetadata!;
    const device = await makeDeviceSecret(meta.DeviceGroupKey!, meta.DeviceKey!);
    await idp.send(new ConfirmDeviceCommand({ AccessToken: first.AccessToken, DeviceKey: device.deviceKey, DeviceName: 'laptop', DeviceSecretVerifierConfig: device.config }));

    const second = await idp.send(
      new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'dora', PASSWORD, DEVICE_KEY: device.deviceKey } }),
    );
    assert.equal(second.ChallengeName, 'DEVICE_SRP_AUTH');
    const srp = new DeviceSrp(device);
    const step = await okCall(t.url, 'RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'DEVICE_SRP_AUTH',
      Session: second.Session,
      ChallengeResponses: { USERNAME: 'dora', DEVICE_KEY: device.deviceKey, SRP_A: await srp.srpA() },
    });
    const done = await okCall(t.url, 'RespondToAuthChallenge', {
      ClientId: clientId,
      ChallengeName: 'DEVICE_PASSWORD_VERIFIER',
      Session: step.Session,
      ChallengeResponses: await srp.answer(step.ChallengeParameters),
      ClientMetadata: { device: 'laptop' },
    });
    assert.equal(decodeJwt(done.AuthenticationResult.IdToken).payload.tenant, 'acme');
    const e = eventsOf(poolId, 'TokenGeneration_AuthenticateDevice')[0];
    assertEnvelope(e, poolId, 'TokenGeneration_AuthenticateDevice', clientId);
    assert.deepEqual(e.request.clientMetadata, { device: 'laptop' });
    assert.equal(eventsOf(poolId, 'PostAuthentication_Authentication').at(-1).request.newDeviceUsed, false);
  });

  test('PreTokenGeneration V2: claims and scopes of both tokens; aws-jwt-verify checks the added scope', async () => {
    const { poolId, clientId } = await pool({ PreTokenGenerationConfig: { LambdaVersion: 'V2_0', LambdaArn: ARN('pre-token-v2') } });
    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'walt', TemporaryPassword: PASSWORD, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'walt@example.com' }] }));
    const { AdminSetUserPasswordCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'walt', Password: PASSWORD, Permanent: true }));
    const r = (await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'walt', PASSWORD } }))).AuthenticationResult!;

    const e = eventsOf(poolId, 'TokenGeneration_Authentication')[0];
    assertEnvelope(e, poolId, 'TokenGeneration_Authentication', clientId, '2');
    assert.deepEqual(e.request.scopes, ['aws.cognito.signin.user.admin']);
    assert.deepEqual(e.response, { claimsAndScopeOverrideDetails: null });

    const { cache } = httpJwksCache((uri) => uri.replace(/^https:\/\/cognito-idp\.[^/]+/, t.url));
    const idVerifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: 'id', clientId }, { jwksCache: cache });
    const accessVerifier = CognitoJwtVerifier.create({ userPoolId: poolId, tokenUse: 'access', clientId, scope: 'orders/read' }, { jwksCache: cache });
    const id = await idVerifier.verify(r.IdToken!);
    assert.equal(id.tenant, 'acme');
    assert.equal(id.tier, 3);
    assert.deepEqual(id.flags, ['a', 'b']);
    assert.equal(id.email, undefined);
    const access = await accessVerifier.verify(r.AccessToken!);
    assert.equal(access.scope, 'orders/read orders/write');
    assert.equal(access.tenant, 'acme');
    assert.deepEqual(access.entitlements, { orders: true });
    assert.equal(access.username, 'walt', 'username is not the function\'s to suppress');
    assert.equal(decodeJwt(r.AccessToken!).payload.token_use, 'access');

    // The gateway (API Gateway's Cognito authorizer) passes the added claims on to the handler.
    const gw = await gatewayFor({
      endpoint: t.url,
      userPoolId: poolId,
      stage: 'test',
      routes: [
        { route: 'GET /orders', lambda: 'fixtures/echo.mjs', scopes: ['orders/read'] },
        { route: 'ANY /{proxy+}', lambda: 'fixtures/echo.mjs' },
      ],
    });
    try {
      const viaId = await fetch(`${gw.url}/test/profile`, { headers: { authorization: r.IdToken! } });
      assert.equal(viaId.status, 200);
      const idClaims = (await viaId.json()) as any;
      assert.equal(idClaims.requestContext.authorizer.claims.tenant, 'acme');
      const viaAccess = await fetch(`${gw.url}/test/orders`, { headers: { authorization: r.AccessToken! } });
      assert.equal(viaAccess.status, 200);
      const accessClaims = (await viaAccess.json()) as any;
      assert.equal(accessClaims.requestContext.authorizer.claims.scope, 'orders/read orders/write');
      assert.equal(accessClaims.requestContext.authorizer.claims.tenant, 'acme');
    } finally {
      await gw.close();
    }
  });

  test('CustomMessage: every event, the text in the outbox with the code put in, and the placeholder rule', async () => {
    const { poolId, clientId } = await pool({ CustomMessage: ARN('custom-message') });
    await signUp(clientId, 'mia', 'mia@example.com', { ClientMetadata: { lang: 'en' }, UserAttributes: [{ Name: 'email', Value: 'mia@example.com' }, { Name: 'name', Value: 'Mia' }] });
    const [msg] = await outboxMessages(t.url, { to: 'mia@example.com' });
    assert.equal(msg.subject, 'Acme: CustomMessage_SignUp');
    assert.match(msg.body, /^<p>Hello Mia, your Acme code is \d{6}<\/p>$/);
    const e = eventsOf(poolId, 'CustomMessage_SignUp')[0];
    assertEnvelope(e, poolId, 'CustomMessage_SignUp', clientId);
    assert.equal(e.request.codeParameter, '{####}');
    assert.equal(e.request.usernameParameter, null);
    assert.equal(typeof e.request.linkParameter, 'string');
    assert.deepEqual(e.request.clientMetadata, { lang: 'en' });
    assert.deepEqual(e.response, { smsMessage: null, emailMessage: null, emailSubject: null });

    await idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'mia' }));
    const code = await lastCode(t.url, 'mia@example.com');
    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'mia', ConfirmationCode: code }));
    await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'mia' }));
    const tokens = (await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'mia', PASSWORD } }))).AuthenticationResult!;
    await idp.send(new UpdateUserAttributesCommand({ AccessToken: tokens.AccessToken!, UserAttributes: [{ Name: 'email', Value: 'mia2@example.com' }] }));
    await idp.send(new GetUserAttributeVerificationCodeCommand({ AccessToken: tokens.AccessToken!, AttributeName: 'email' }));
    const subjects = [...(await outboxMessages(t.url, { to: 'mia@example.com' })), ...(await outboxMessages(t.url, { to: 'mia2@example.com' }))].map((m) => m.subject);
    for (const source of ['SignUp', 'ResendCode', 'ForgotPassword', 'UpdateUserAttribute', 'VerifyUserAttribute']) {
      assert.ok(subjects.includes(`Acme: CustomMessage_${source}`), `${source} in ${subjects}`);
      assert.equal(eventsOf(poolId, `CustomMessage_${source}`).length, 1, source);
    }

    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'olga', TemporaryPassword: 'Temp-Pass1!', UserAttributes: [{ Name: 'email', Value: 'olga@example.com' }], DesiredDeliveryMediums: ['EMAIL'] }));
    const [invite] = await outboxMessages(t.url, { to: 'olga@example.com' });
    assert.equal(invite.subject, 'Your Acme account');
    assert.equal(invite.body, 'Sign in as olga with Temp-Pass1!');
    const inviteEvent = eventsOf(poolId, 'CustomMessage_AdminCreateUser')[0];
    assertEnvelope(inviteEvent, poolId, 'CustomMessage_AdminCreateUser', 'CLIENT_ID_NOT_APPLICABLE');
    assert.equal(inviteEvent.request.usernameParameter, '{username}');

    const noCode = await sdkError(signUp(clientId, 'nico', 'nocode@example.com'));
    assert.equal(noCode.name, 'InvalidParameterException');
    assert.match(noCode.message, /at 'emailBody' failed to satisfy constraint: Member must satisfy regular expression pattern: .*\\\{####\\\}/);
  });

  test('CustomMessage_Authentication: the SMS MFA code in the function\'s text', async () => {
    const { poolId, clientId } = await pool(
      { CustomMessage: ARN('custom-message') },
      { MfaConfiguration: 'OPTIONAL', SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::123456789012:role/sns', ExternalId: 'x' } },
    );
    const { AdminSetUserPasswordCommand, AdminSetUserMFAPreferenceCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId,
        Username: 'milo',
        MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'phone_number', Value: '+15555550142' }, { Name: 'phone_number_verified', Value: 'true' }],
      }),
    );
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: 'milo', Password: PASSWORD, Permanent: true }));
    await idp.send(new AdminSetUserMFAPreferenceCommand({ UserPoolId: poolId, Username: 'milo', SMSMfaSettings: { Enabled: true, PreferredMfa: true } }));
    const r = await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'milo', PASSWORD } }));
    assert.equal(r.ChallengeName, 'SMS_MFA');
    const sms = (await outboxMessages(t.url, { to: '+15555550142' })).at(-1);
    assert.match(sms.body, /^Acme code \d{6}$/);
    const e = eventsOf(poolId, 'CustomMessage_Authentication')[0];
    assertEnvelope(e, poolId, 'CustomMessage_Authentication', clientId);
    assert.equal(e.request.codeParameter, '{####}');
  });

  test('CustomEmailSender and CustomSMSSender: Tobira sends nothing itself; the function decrypts the code with @aws-crypto/client-node and a raw AES keyring', async () => {
    const { poolId, clientId } = await pool({ CustomEmailSender: { LambdaArn: ARN('custom-email-sender'), LambdaVersion: 'V1_0' } });
    await signUp(clientId, 'sam', 'sam@example.com', { ClientMetadata: { via: 'sender' } });
    const e = await waitFor(() => eventsOf(poolId, 'CustomEmailSender_SignUp')[0]);
    assertEnvelope(e, poolId, 'CustomEmailSender_SignUp', clientId);
    assert.equal(e.request.type, 'customEmailSenderRequestV1');
    assert.notEqual(e.request.code, e.decrypted);
    assert.match(e.decrypted, /^\d{6}$/);
    assert.deepEqual(e.request.clientMetadata, { via: 'sender' });
    assert.equal((await outboxMessages(t.url, { to: 'sam@example.com' })).length, 0);
    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'sam', ConfirmationCode: e.decrypted }));
    assert.equal((await statusOf(poolId, 'sam')).status, 'CONFIRMED');

    // CustomSMSSender alike, for a code that would go by SMS.
    const sms = await pool({ CustomSMSSender: { LambdaArn: ARN('custom-sms-sender'), LambdaVersion: 'V1_0' } }, { AutoVerifiedAttributes: ['phone_number'] });
    await idp.send(
      new SignUpCommand({ ClientId: sms.clientId, Username: 'sol', Password: PASSWORD, UserAttributes: [{ Name: 'phone_number', Value: '+15555550199' }] }),
    );
    const se = await waitFor(() => eventsOf(sms.poolId, 'CustomSMSSender_SignUp')[0]);
    assert.equal(se.request.type, 'customSMSSenderRequestV1');
    assert.match(se.decrypted, /^\d{6}$/);
    assert.equal((await outboxMessages(t.url, { to: '+15555550199' })).length, 0);
    await idp.send(new ConfirmSignUpCommand({ ClientId: sms.clientId, Username: 'sol', ConfirmationCode: se.decrypted }));
  });
});
