import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  ConfirmForgotPasswordCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ForgotPasswordCommand,
  InitiateAuthCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
  type CreateUserPoolClientCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoUser, CognitoUserPool } from 'amazon-cognito-identity-js';
import { aws, idpClient, startTestServer, sdkError } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { lastCode, outboxMessages } from './helpers/outbox.ts';
import type { Running } from '../src/tobira.ts';
import { ManualClock } from '../src/clock.ts';
import { verifyPassword } from '../src/domain/users/passwords.ts';

describe('account recovery', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  const clock = new ManualClock();
  before(async () => {
    t = await startTestServer({}, { clock });
    idp = idpClient(t.url);
  });
  after(() => t.close());

  async function makePool(pool: Partial<CreateUserPoolCommandInput> = {}, client: Partial<CreateUserPoolClientCommandInput> = {}) {
    const p = await idp.send(new CreateUserPoolCommand({ PoolName: 'recovery', AutoVerifiedAttributes: ['email'], ...pool }));
    const poolId = p.UserPool!.Id!;
    const c = await idp.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'app', ...client }));
    return { poolId, clientId: c.UserPoolClient!.ClientId! };
  }

  /** A CONFIRMED user with the given attributes and password OldPass123!. */
  async function makeUser(poolId: string, username: string, attrs: Record<string, string>) {
    const UserAttributes: AttributeType[] = Object.entries(attrs).map(([Name, Value]) => ({ Name, Value }));
    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: username, UserAttributes, MessageAction: 'SUPPRESS' }));
    await idp.send(new AdminSetUserPasswordCommand({ UserPoolId: poolId, Username: username, Password: 'OldPass123!', Permanent: true }));
  }

  const storedUser = async (poolId: string, username: string) => (await t.app.store.users.get(poolId, username.toLowerCase()))!;

  test('ForgotPassword emails a code; ConfirmForgotPassword sets the new password once', async () => {
    const { poolId, clientId } = await makePool();
    await makeUser(poolId, 'alice', { email: 'alice@example.com', email_verified: 'true' });
    const r = await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'alice' }));
    assert.deepEqual(r.CodeDeliveryDetails, { Destination: 'a***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    const [mail] = await outboxMessages(t.url, { to: 'alice@example.com' });
    assert.equal(mail.kind, 'forgot-password');
    assert.equal(mail.subject, 'Your verification code');
    const code = await lastCode(t.url, 'alice@example.com');

    // The old password still works until the reset is confirmed.
    assert.ok(await verifyPassword((await storedUser(poolId, 'alice')).passwordHash, 'OldPass123!'));
    const wrong = code === '000000' ? '000001' : '000000';
    assert.deepEqual(await sdkError(idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'alice', ConfirmationCode: wrong, Password: 'NewPass123!' }))), {
      name: 'CodeMismatchException',
      message: 'Invalid verification code provided, please try again.',
    });
    assert.deepEqual(await sdkError(idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'alice', ConfirmationCode: code, Password: 'weak' }))), {
      name: 'InvalidPasswordException',
      message: 'Password does not conform to policy: Password not long enough',
    });
    await idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'alice', ConfirmationCode: code, Password: 'NewPass123!' }));
    const u = await storedUser(poolId, 'alice');
    assert.ok(await verifyPassword(u.passwordHash, 'NewPass123!'));
    assert.equal(u.status, 'CONFIRMED');
    assert.deepEqual(await sdkError(idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'alice', ConfirmationCode: code, Password: 'Other123!' }))), {
      name: 'ExpiredCodeException',
      message: 'Invalid code provided, please request a code again.',
    });
  });

  test('without a verified email or phone number the password cannot be reset', async () => {
    const { poolId, clientId } = await makePool();
    await makeUser(poolId, 'bert', { email: 'bert@example.com' });
    assert.deepEqual(await sdkError(idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'bert' }))), {
      name: 'InvalidParameterException',
      message: 'Cannot reset password for the user as there is no registered/verified email or phone_number',
    });
    assert.deepEqual(await outboxMessages(t.url, { to: 'bert@example.com' }), []);
  });

  test('AccountRecoverySetting picks the channel; legacy pools prefer a verified phone; admin_only refuses users', async () => {
    const both = { email: 'cy@example.com', email_verified: 'true', phone_number: '+15550001111', phone_number_verified: 'true' };
    const legacy = await makePool();
    await makeUser(legacy.poolId, 'cy', both);
    const r1 = await idp.send(new ForgotPasswordCommand({ ClientId: legacy.clientId, Username: 'cy' }));
    assert.deepEqual(r1.CodeDeliveryDetails, { Destination: '+*******1111', DeliveryMedium: 'SMS', AttributeName: 'phone_number' });

    const emailFirst = await makePool({
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_phone_number', Priority: 2 }, { Name: 'verified_email', Priority: 1 }] },
    });
    await makeUser(emailFirst.poolId, 'cy', both);
    const r2 = await idp.send(new ForgotPasswordCommand({ ClientId: emailFirst.clientId, Username: 'cy' }));
    assert.equal(r2.CodeDeliveryDetails!.DeliveryMedium, 'EMAIL');

    const adminOnly = await makePool({ AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'admin_only', Priority: 1 }] } });
    await makeUser(adminOnly.poolId, 'cy', both);
    assert.equal((await sdkError(idp.send(new ForgotPasswordCommand({ ClientId: adminOnly.clientId, Username: 'cy' })))).name, 'NotAuthorizedException');
  });

  test('a reset code lives one hour', async () => {
    const { poolId, clientId } = await makePool();
    await makeUser(poolId, 'dora', { email: 'dora@example.com', email_verified: 'true' });
    await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'dora' }));
    const code = await lastCode(t.url, 'dora@example.com');
    clock.advance(60 * 60 * 1000 + 1);
    assert.equal(
      (await sdkError(idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'dora', ConfirmationCode: code, Password: 'NewPass123!' })))).name,
      'ExpiredCodeException',
    );
  });

  test('user states: FORCE_CHANGE_PASSWORD and disabled users cannot reset; unknown users per PreventUserExistenceErrors', async () => {
    const { poolId, clientId } = await makePool();
    await idp.send(
      new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'eve', UserAttributes: [{ Name: 'email', Value: 'eve@example.com' }, { Name: 'email_verified', Value: 'true' }], MessageAction: 'SUPPRESS' }),
    );
    assert.deepEqual(await sdkError(idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'eve' }))), {
      name: 'NotAuthorizedException',
      message: 'User password cannot be reset in the current state.',
    });
    await makeUser(poolId, 'fay', { email: 'fay@example.com', email_verified: 'true' });
    await idp.send(new AdminDisableUserCommand({ UserPoolId: poolId, Username: 'fay' }));
    assert.equal((await sdkError(idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'fay' })))).name, 'ResourceNotFoundException');

    assert.deepEqual(await sdkError(idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'ghost' }))), {
      name: 'UserNotFoundException',
      message: 'User does not exist.',
    });
    const hidden = await makePool({}, { PreventUserExistenceErrors: 'ENABLED' });
    const r = await idp.send(new ForgotPasswordCommand({ ClientId: hidden.clientId, Username: 'ghost@example.org' }));
    assert.deepEqual(r.CodeDeliveryDetails, { Destination: 'g***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    assert.equal(
      (await sdkError(idp.send(new ConfirmForgotPasswordCommand({ ClientId: hidden.clientId, Username: 'ghost@example.org', ConfirmationCode: '123456', Password: 'NewPass123!' })))).name,
      'CodeMismatchException',
    );
  });

  test('a reset code survives five wrong entries; then LimitExceededException, even for the right code, until a new one', async () => {
    const { poolId, clientId } = await makePool();
    await makeUser(poolId, 'kai', { email: 'kai@example.com', email_verified: 'true' });
    await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'kai' }));
    const code = await lastCode(t.url, 'kai@example.com');
    const wrong = code === '999999' ? '999998' : '999999';
    const confirm = (c: string) =>
      idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'kai', ConfirmationCode: c, Password: 'NewPass123!' }));
    // Concurrent wrong entries: the store counts them atomically, so exactly five are mismatches.
    const results = await Promise.all(Array.from({ length: 7 }, () => confirm(wrong).then(() => 'ok', (e: Error) => e.name)));
    assert.equal(results.filter((r) => r === 'CodeMismatchException').length, 5, results.join());
    assert.equal(results.filter((r) => r === 'LimitExceededException').length, 2, results.join());
    assert.deepEqual(await sdkError(confirm(code)), { name: 'LimitExceededException', message: 'Attempt limit exceeded, please try after some time.' });
    assert.ok(await verifyPassword((await storedUser(poolId, 'kai')).passwordHash, 'OldPass123!'));

    await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'kai' }));
    await confirm(await lastCode(t.url, 'kai@example.com'));
    assert.ok(await verifyPassword((await storedUser(poolId, 'kai')).passwordHash, 'NewPass123!'));
  });

  test('ForgotPassword is limited to 20 requests an hour per user', async () => {
    const { poolId, clientId } = await makePool();
    await makeUser(poolId, 'gus', { email: 'gus@example.com', email_verified: 'true' });
    const results = await Promise.all(
      Array.from({ length: 21 }, () => idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'gus' })).then(() => 'ok', (e: Error) => e.name)),
    );
    assert.equal(results.filter((r) => r === 'ok').length, 20);
    assert.equal(results.filter((r) => r === 'LimitExceededException').length, 1);
  });

  test('AWS CLI: admin-reset-user-password makes the user RESET_REQUIRED and sends a code; confirm-forgot-password ends it', needs('aws'), async () => {
    const { poolId, clientId } = await makePool({}, { ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] });
    await makeUser(poolId, 'hal', { email: 'hal@example.com', email_verified: 'true' });
    const r = await aws(t.url, ['cognito-idp', 'admin-reset-user-password', '--user-pool-id', poolId, '--username', 'hal']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'hal' }))).UserStatus, 'RESET_REQUIRED');
    const signIn = (password: string) =>
      idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'hal', PASSWORD: password } }));
    assert.equal((await sdkError(signIn('OldPass123!'))).name, 'PasswordResetRequiredException');
    const c = await aws(t.url, [
      'cognito-idp', 'confirm-forgot-password', '--client-id', clientId, '--username', 'hal',
      '--confirmation-code', await lastCode(t.url, 'hal@example.com'), '--password', 'NewPass123!',
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'hal' }))).UserStatus, 'CONFIRMED');
    assert.ok((await signIn('NewPass123!')).AuthenticationResult?.AccessToken);

    await makeUser(poolId, 'ian', { email: 'ian@example.com' });
    const none = await aws(t.url, ['cognito-idp', 'admin-reset-user-password', '--user-pool-id', poolId, '--username', 'ian']);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /InvalidParameterException.*no registered\/verified email or phone_number/);
  });

  test('amazon-cognito-identity-js: forgotPassword and confirmPassword', async () => {
    const { poolId, clientId } = await makePool();
    await makeUser(poolId, 'jo', { email: 'jo@example.com', email_verified: 'true' });
    const pool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url });
    const user = new CognitoUser({ Username: 'jo', Pool: pool });
    const sent = await new Promise<any>((resolve, reject) => user.forgotPassword({ onSuccess: resolve, onFailure: reject }));
    assert.equal(sent.CodeDeliveryDetails.DeliveryMedium, 'EMAIL');
    const code = await lastCode(t.url, 'jo@example.com');
    const done = await new Promise<string>((resolve, reject) => user.confirmPassword(code, 'NewPass123!', { onSuccess: resolve, onFailure: reject }));
    assert.equal(done, 'SUCCESS');
    assert.ok(await verifyPassword((await storedUser(poolId, 'jo')).passwordHash, 'NewPass123!'));
  });
});
