import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import {
  AdminGetUserCommand,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  ResendConfirmationCodeCommand,
  SignUpCommand,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
  type CreateUserPoolClientCommandInput,
} from '@aws-sdk/client-cognito-identity-provider';
import { CognitoUserAttribute, CognitoUserPool, CognitoUser } from 'amazon-cognito-identity-js';
import { aws, idpClient, startTestServer, sdkError } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import { lastCode, outboxMessages } from './helpers/outbox.ts';
import type { Running } from '../src/tobira.ts';
import { ManualClock } from '../src/clock.ts';

async function makePool(idp: CognitoIdentityProviderClient, pool: Partial<CreateUserPoolCommandInput> = {}, client: Partial<CreateUserPoolClientCommandInput> = {}) {
  const p = await idp.send(new CreateUserPoolCommand({ PoolName: 'signup', AutoVerifiedAttributes: ['email'], ...pool }));
  const poolId = p.UserPool!.Id!;
  const c = await idp.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'web',
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      ...client,
    }),
  );
  return { poolId, clientId: c.UserPoolClient!.ClientId!, clientSecret: c.UserPoolClient!.ClientSecret };
}

const status = async (idp: CognitoIdentityProviderClient, poolId: string, username: string) =>
  idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }));

describe('SignUp and ConfirmSignUp with the JS SDK v3', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  const clock = new ManualClock();
  before(async () => {
    t = await startTestServer({}, { clock });
    idp = idpClient(t.url);
  });
  after(() => t.close());

  test('sign-up sends a code to the auto-verified email; confirming marks the user CONFIRMED and the email verified', async () => {
    const { poolId, clientId } = await makePool(idp);
    const r = await idp.send(
      new SignUpCommand({
        ClientId: clientId,
        Username: 'bob',
        Password: 'SecurePass123!',
        UserAttributes: [{ Name: 'email', Value: 'bob@example.com' }],
      }),
    );
    assert.equal(r.UserConfirmed, false);
    assert.match(r.UserSub!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(r.CodeDeliveryDetails, { Destination: 'b***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    const before = await status(idp, poolId, 'bob');
    assert.equal(before.UserStatus, 'UNCONFIRMED');

    const [mail] = await outboxMessages(t.url, { to: 'bob@example.com' });
    assert.equal(mail.subject, 'Your verification code');
    assert.equal(mail.channel, 'EMAIL');
    assert.equal(mail.poolId, poolId);
    assert.equal(mail.kind, 'sign-up');
    assert.match(mail.body, /^Your verification code is \d{6}\. $/);

    const wrong = await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'bob', ConfirmationCode: '000000' === mail.code ? '111111' : '000000' })));
    assert.deepEqual(wrong, { name: 'CodeMismatchException', message: 'Invalid verification code provided, please try again.' });

    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'bob', ConfirmationCode: await lastCode(t.url, 'bob@example.com') }));
    const after = await status(idp, poolId, 'bob');
    assert.equal(after.UserStatus, 'CONFIRMED');
    assert.equal(after.UserAttributes!.find((a) => a.Name === 'email_verified')?.Value, 'true');
    assert.equal(after.UserAttributes!.find((a) => a.Name === 'sub')?.Value, r.UserSub);

    const again = await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'bob', ConfirmationCode: mail.code })));
    assert.deepEqual(again, { name: 'NotAuthorizedException', message: 'User cannot confirm because user status is not UNCONFIRMED.' });
  });

  test('the code is stored hashed, never in clear', async () => {
    const { poolId, clientId } = await makePool(idp);
    await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'hashy', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'hashy@example.com' }] }));
    const code = await lastCode(t.url, 'hashy@example.com');
    const rows = await t.app.store.db.all<Record<string, unknown>>('SELECT * FROM verification_codes WHERE pool_id = ?', [poolId]);
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(code));
  });

  test('taken usernames, password policy, required attributes and the AllowAdminCreateUserOnly switch', async () => {
    const { clientId } = await makePool(idp, {
      Schema: [{ Name: 'name', AttributeDataType: 'String', Required: true, Mutable: true }],
    });
    const base = { ClientId: clientId, Username: 'carol', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'carol@example.com' }, { Name: 'name', Value: 'Carol' }] };
    await idp.send(new SignUpCommand(base));
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand(base))), { name: 'UsernameExistsException', message: 'User already exists' });
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand({ ...base, Username: 'CAROL' }))), {
      name: 'UsernameExistsException',
      message: 'User already exists',
    });
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand({ ...base, Username: 'dave', Password: 'short' }))), {
      name: 'InvalidPasswordException',
      message: 'Password did not conform with policy: Password not long enough',
    });
    const missing = await sdkError(idp.send(new SignUpCommand({ ...base, Username: 'dave', UserAttributes: [{ Name: 'email', Value: 'd@example.com' }] })));
    assert.equal(missing.name, 'InvalidParameterException');
    assert.equal(missing.message, 'Attributes did not conform to the schema: name: The attribute is required\n');

    const closed = await makePool(idp, { AdminCreateUserConfig: { AllowAdminCreateUserOnly: true } });
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand({ ...base, ClientId: closed.clientId }))), {
      name: 'NotAuthorizedException',
      message: 'SignUp is not permitted for this user pool',
    });
  });

  test('email-as-username pools: the email is the sign-in name, the sub the username, and duplicates are refused', async () => {
    const { poolId, clientId } = await makePool(idp, { UsernameAttributes: ['email'] });
    const r = await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'erin@example.com', Password: 'SecurePass123!' }));
    const u = await status(idp, poolId, 'erin@example.com');
    assert.equal(u.Username, r.UserSub);
    assert.equal(u.UserAttributes!.find((a) => a.Name === 'email')?.Value, 'erin@example.com');
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand({ ClientId: clientId, Username: 'Erin@Example.com', Password: 'SecurePass123!' }))), {
      name: 'UsernameExistsException',
      message: 'An account with the given email already exists.',
    });
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand({ ClientId: clientId, Username: 'erin', Password: 'SecurePass123!' }))), {
      name: 'InvalidParameterException',
      message: 'Username should be an email.',
    });
  });

  test('alias pools: the username may not look like an email; ForceAliasCreation moves a taken email alias on confirm', async () => {
    const { poolId, clientId } = await makePool(idp, { AliasAttributes: ['email'] });
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand({ ClientId: clientId, Username: 'x@example.com', Password: 'SecurePass123!' }))), {
      name: 'InvalidParameterException',
      message: 'Username cannot be of email format, since user pool is configured for email alias.',
    });
    const su = (u: string) => idp.send(new SignUpCommand({ ClientId: clientId, Username: u, Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'same@example.com' }] }));
    await su('first');
    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'first', ConfirmationCode: await lastCode(t.url, 'same@example.com') }));
    // The email is now a sign-in name of `first`, who is confirmed.
    assert.deepEqual(await sdkError(idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'same@example.com' }))), {
      name: 'InvalidParameterException',
      message: 'User is already confirmed.',
    });
    await su('second');
    const code = await lastCode(t.url, 'same@example.com');
    assert.deepEqual(await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'second', ConfirmationCode: code }))), {
      name: 'AliasExistsException',
      message: 'An account with the given email already exists.',
    });
    // The failed confirmation left the code usable.
    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'second', ConfirmationCode: code, ForceAliasCreation: true }));
    const first = await status(idp, poolId, 'first');
    assert.equal(first.UserAttributes!.find((a) => a.Name === 'email_verified')?.Value, 'false');
    assert.equal((await status(idp, poolId, 'same@example.com')).Username, 'second');
  });

  test('without an auto-verified attribute the user stays UNCONFIRMED and no code is sent', async () => {
    const { poolId, clientId } = await makePool(idp, { AutoVerifiedAttributes: [] });
    const r = await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'frank', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'frank@example.com' }] }));
    assert.equal(r.CodeDeliveryDetails, undefined);
    assert.equal((await status(idp, poolId, 'frank')).UserStatus, 'UNCONFIRMED');
    assert.deepEqual(await outboxMessages(t.url, { to: 'frank@example.com' }), []);
    assert.deepEqual(await sdkError(idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'frank' }))), {
      name: 'InvalidParameterException',
      message: 'Cannot resend codes. Auto verification not turned on.',
    });
  });

  test('a client secret requires a SECRET_HASH of username + client id', async () => {
    const { clientId, clientSecret } = await makePool(idp, {}, { GenerateSecret: true });
    const args = { ClientId: clientId, Username: 'gina', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'gina@example.com' }] };
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand(args))), {
      name: 'NotAuthorizedException',
      message: `Client ${clientId} is configured with secret but SECRET_HASH was not received`,
    });
    assert.deepEqual(await sdkError(idp.send(new SignUpCommand({ ...args, SecretHash: 'AAAA' }))), {
      name: 'NotAuthorizedException',
      message: `Unable to verify secret hash for client ${clientId}`,
    });
    const hash = createHmac('sha256', clientSecret!).update(`gina${clientId}`).digest('base64');
    await idp.send(new SignUpCommand({ ...args, SecretHash: hash }));
    await idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'gina', SecretHash: hash, ConfirmationCode: await lastCode(t.url, 'gina@example.com') }));
  });

  test("the client's WriteAttributes limit what sign-up may set", async () => {
    const { clientId } = await makePool(idp, {}, { WriteAttributes: ['email', 'name'] });
    const err = await sdkError(
      idp.send(new SignUpCommand({ ClientId: clientId, Username: 'hank', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'hank@example.com' }, { Name: 'family_name', Value: 'H' }] })),
    );
    assert.deepEqual(err, { name: 'NotAuthorizedException', message: 'A client attempted to write unauthorized attribute' });
  });

  test('ResendConfirmationCode replaces the code, and is limited to 5 an hour', async () => {
    const { clientId } = await makePool(idp);
    await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'ivy', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'ivy@example.com' }] }));
    const first = await lastCode(t.url, 'ivy@example.com');
    let second = first;
    // A new code may by chance equal the old one; resend until it differs (within the limit).
    for (let i = 0; i < 4 && second === first; i++) {
      const r = await idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'ivy' }));
      assert.deepEqual(r.CodeDeliveryDetails, { Destination: 'i***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
      second = await lastCode(t.url, 'ivy@example.com');
    }
    assert.notEqual(second, first);
    assert.equal(
      (await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'ivy', ConfirmationCode: first })))).name,
      'CodeMismatchException',
    );
    while (true) {
      const e = await idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'ivy' })).then(() => null, (err: Error) => err);
      if (e) {
        assert.equal(e.name, 'LimitExceededException');
        assert.equal(e.message, 'Attempt limit exceeded, please try after some time.');
        break;
      }
    }
    const count = (await outboxMessages(t.url, { to: 'ivy@example.com' })).length;
    assert.equal(count, 6, 'the sign-up code and 5 resends');
    clock.advance(60 * 60 * 1000 + 1);
    await idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'ivy' }));
  });

  test('rate-limit windows that ended are pruned from the store', async () => {
    const { poolId, clientId } = await makePool(idp);
    const counters = async () =>
      (await t.app.store.db.all<{ counter_key: string }>('SELECT counter_key FROM rate_counters')).map((r) => r.counter_key).filter((k) => k.includes(poolId));
    for (const u of ['pru', 'prv']) {
      await idp.send(new SignUpCommand({ ClientId: clientId, Username: u, Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: `${u}@example.com` }] }));
    }
    await idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'pru' }));
    assert.deepEqual(await counters(), [`ResendConfirmationCode:${poolId}:pru`]);
    clock.advance(2 * 60 * 60 * 1000);
    await idp.send(new ResendConfirmationCodeCommand({ ClientId: clientId, Username: 'prv' }));
    assert.deepEqual(await counters(), [`ResendConfirmationCode:${poolId}:prv`]);
  });

  test('unknown users: UserNotFoundException, or a simulated delivery with PreventUserExistenceErrors', async () => {
    const legacy = await makePool(idp);
    assert.deepEqual(await sdkError(idp.send(new ResendConfirmationCodeCommand({ ClientId: legacy.clientId, Username: 'nobody' }))), {
      name: 'UserNotFoundException',
      message: 'User does not exist.',
    });
    const hidden = await makePool(idp, {}, { PreventUserExistenceErrors: 'ENABLED' });
    const r1 = await idp.send(new ResendConfirmationCodeCommand({ ClientId: hidden.clientId, Username: 'nobody' }));
    const r2 = await idp.send(new ResendConfirmationCodeCommand({ ClientId: hidden.clientId, Username: 'nobody' }));
    assert.equal(r1.CodeDeliveryDetails!.DeliveryMedium, 'EMAIL');
    assert.match(r1.CodeDeliveryDetails!.Destination!, /^\w\*\*\*@\w\*\*\*$/);
    assert.deepEqual(r1, { ...r2, $metadata: r1.$metadata });
    assert.equal(
      (await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: hidden.clientId, Username: 'nobody', ConfirmationCode: '123456' })))).name,
      'CodeMismatchException',
    );
  });

  test('a sign-up code expires after 24 hours', async () => {
    const { clientId } = await makePool(idp);
    await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'jack', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'jack@example.com' }] }));
    const code = await lastCode(t.url, 'jack@example.com');
    clock.advance(24 * 60 * 60 * 1000 + 1000);
    assert.deepEqual(await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'jack', ConfirmationCode: code }))), {
      name: 'ExpiredCodeException',
      message: 'Invalid code provided, please request a code again.',
    });
  });

  test('ConfirmSignUp allows 15 attempts an hour; concurrent right answers confirm once', async () => {
    const { clientId } = await makePool(idp);
    await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'kim', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'kim@example.com' }] }));
    const code = await lastCode(t.url, 'kim@example.com');
    const wrong = code === '999999' ? '999998' : '999999';
    const results = await Promise.all(
      Array.from({ length: 16 }, () => idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'kim', ConfirmationCode: wrong })).then(() => 'ok', (e: Error) => e.name)),
    );
    assert.equal(results.filter((r) => r === 'CodeMismatchException').length, 15);
    assert.equal(results.filter((r) => r === 'LimitExceededException').length, 1);
    assert.equal((await sdkError(idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'kim', ConfirmationCode: code })))).name, 'LimitExceededException');

    clock.advance(60 * 60 * 1000 + 1);
    await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'lee', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'lee@example.com' }] }));
    const leeCode = await lastCode(t.url, 'lee@example.com');
    const race = await Promise.all(
      Array.from({ length: 5 }, () => idp.send(new ConfirmSignUpCommand({ ClientId: clientId, Username: 'lee', ConfirmationCode: leeCode })).then(() => 'ok', (e: Error) => e.name)),
    );
    assert.equal(race.filter((r) => r === 'ok').length, 1, race.join());
  });

  test('LINK-style pools email a confirmation link; SMS pools text the code', async () => {
    const linkPool = await makePool(idp, {
      VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_LINK', EmailSubjectByLink: 'Welcome', EmailMessageByLink: 'Hello, {##Click here##} to confirm.' },
    });
    const clientId = linkPool.clientId;
    await idp.send(new SignUpCommand({ ClientId: clientId, Username: 'mia', Password: 'SecurePass123!', UserAttributes: [{ Name: 'email', Value: 'mia@example.com' }] }));
    const [mail] = await outboxMessages(t.url, { to: 'mia@example.com' });
    assert.equal(mail.subject, 'Welcome');
    const href = /href="([^"]+)"/.exec(mail.body)![1].replaceAll('&amp;', '&');
    const link = new URL(href);
    assert.equal(link.pathname, '/confirmUser');
    assert.equal(link.searchParams.get('client_id'), clientId);
    assert.equal(link.searchParams.get('user_name'), 'mia');
    assert.equal(link.searchParams.get('confirmation_code'), mail.code);
    const opened = await fetch(link);
    assert.equal(opened.status, 200);
    assert.match(await opened.text(), /Registration confirmed/);
    assert.equal((await status(idp, linkPool.poolId, 'mia')).UserStatus, 'CONFIRMED');
    assert.equal((await fetch(link)).status, 400, 'a link works once');

    const sms = await makePool(idp, { AutoVerifiedAttributes: ['phone_number'], SmsVerificationMessage: 'Code: {####}' });
    const r = await idp.send(new SignUpCommand({ ClientId: sms.clientId, Username: 'ned', Password: 'SecurePass123!', UserAttributes: [{ Name: 'phone_number', Value: '+15555550123' }] }));
    assert.deepEqual(r.CodeDeliveryDetails, { Destination: '+*******0123', DeliveryMedium: 'SMS', AttributeName: 'phone_number' });
    const [text] = await outboxMessages(t.url, { to: '+15555550123' });
    assert.equal(text.channel, 'SMS');
    assert.match(text.body, /^Code: \d{6}$/);
  });
});

describe('sign-up with other real clients', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  before(async () => {
    t = await startTestServer();
    idp = idpClient(t.url);
  });
  after(() => t.close());

  test('AWS CLI v2: sign-up, then confirm-sign-up with the emailed code', needs('aws'), async () => {
    const { poolId, clientId } = await makePool(idp);
    const r = await aws(t.url, [
      'cognito-idp', 'sign-up', '--client-id', clientId, '--username', 'olga', '--password', 'SecurePass123!',
      '--user-attributes', 'Name=email,Value=olga@example.com',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.UserConfirmed, false);
    assert.equal(r.json.CodeDeliveryDetails.Destination, 'o***@e***');
    const c = await aws(t.url, ['cognito-idp', 'confirm-sign-up', '--client-id', clientId, '--username', 'olga', '--confirmation-code', await lastCode(t.url, 'olga@example.com')]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal((await status(idp, poolId, 'olga')).UserStatus, 'CONFIRMED');
    const bad = await aws(t.url, ['cognito-idp', 'confirm-sign-up', '--client-id', clientId, '--username', 'olga', '--confirmation-code', '123456']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /NotAuthorizedException.*User cannot confirm because user status is not UNCONFIRMED\./);
  });

  test('amazon-cognito-identity-js: signUp and confirmRegistration', async () => {
    const { poolId, clientId } = await makePool(idp);
    const userPool = new CognitoUserPool({ UserPoolId: poolId, ClientId: clientId, endpoint: t.url });
    const result = await new Promise<any>((resolve, reject) =>
      userPool.signUp('pia', 'SecurePass123!', [new CognitoUserAttribute({ Name: 'email', Value: 'pia@example.com' })], [], (err, res) =>
        err ? reject(err) : resolve(res),
      ),
    );
    assert.equal(result.userConfirmed, false);
    assert.equal(result.codeDeliveryDetails.AttributeName, 'email');
    const user = new CognitoUser({ Username: 'pia', Pool: userPool });
    const confirmed = await new Promise<string>((resolve, reject) =>
      lastCode(t.url, 'pia@example.com').then((code) => user.confirmRegistration(code, false, (err, res) => (err ? reject(err) : resolve(res)))),
    );
    assert.equal(confirmed, 'SUCCESS');
    assert.equal((await status(idp, poolId, 'pia')).UserStatus, 'CONFIRMED');
  });

  /**
   * Seed 003's boto3 block, as printed. Only two things are filled in, as a reader of the seed
   * must: the client id, and the code the user would read in the email (here from the outbox).
   * The endpoint, region and credentials come from the environment, so `boto3.client('cognito-idp')`
   * stays as printed.
   */
  const SEED_003_SCRIPT = `import boto3

client = boto3.client('cognito-idp')
CLIENT_ID = 'your-app-client-id'

# Sign up
client.sign_up(
    ClientId=CLIENT_ID,
    Username='bob@example.com',
    Password='SecurePass123!',
    UserAttributes=[
        {'Name': 'email', 'Value': 'bob@example.com'},
        {'Name': 'name', 'Value': 'Bob Smith'}
    ]
)

# Confirm sign up (with code from email)
client.confirm_sign_up(
    ClientId=CLIENT_ID,
    Username='bob@example.com',
    ConfirmationCode='123456'
)

# Sign in
response = client.initiate_auth(
    ClientId=CLIENT_ID,
    AuthFlow='USER_PASSWORD_AUTH',
    AuthParameters={
        'USERNAME': 'bob@example.com',
        'PASSWORD': 'SecurePass123!'
    }
)
id_token = response['AuthenticationResult']['IdToken']
access_token = response['AuthenticationResult']['AccessToken']
refresh_token = response['AuthenticationResult']['RefreshToken']
`;

  /** The seed's pool and client through the AWS CLI; `flows` are the client's ExplicitAuthFlows. */
  async function seed003Pool(flows: string[]) {
    // As printed but for two options real Cognito refuses at this point, and so does Tobira:
    // `--mfa-configuration OPTIONAL` without an SMS configuration, and the `Google` provider
    // before the seed creates it further down.
    const pool = await aws(t.url, [
      'cognito-idp', 'create-user-pool', '--pool-name', 'app-users-prod', '--auto-verified-attributes', 'email', '--username-attributes', 'email',
      '--policies', '{"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}}',
      '--schema', '[{"Name":"email","Required":true,"Mutable":true}, {"Name":"name","Required":true,"Mutable":true}, {"Name":"custom:company","AttributeDataType":"String","Mutable":true}]',
      '--email-configuration', 'EmailSendingAccount=COGNITO_DEFAULT',
    ]);
    assert.equal(pool.code, 0, pool.stderr);
    const poolId = pool.json.UserPool.Id;
    const client = await aws(t.url, [
      'cognito-idp', 'create-user-pool-client', '--user-pool-id', poolId, '--client-name', 'web-app', '--no-generate-secret',
      '--explicit-auth-flows', ...flows, '--supported-identity-providers', 'COGNITO',
      '--callback-urls', '["https://app.example.com/callback","http://localhost:3000/callback"]', '--logout-urls', '["https://app.example.com/logout"]',
      '--allowed-o-auth-flows', 'code', '--allowed-o-auth-scopes', 'openid', 'email', 'profile', '--allowed-o-auth-flows-user-pool-client',
    ]);
    assert.equal(client.code, 0, client.stderr);
    return { poolId, clientId: client.json.UserPoolClient.ClientId as string };
  }

  /** Runs the seed's script, filling in CLIENT_ID and the emailed code, and reporting the tokens. */
  function runSeed003(clientId: string) {
    const readCode = [
      'import json, re, os, urllib.request',
      "_msgs = json.load(urllib.request.urlopen(os.environ['AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER'] + '/_tobira/outbox?to=bob%40example.com'))['messages']",
      "code = re.search(r'\\b(\\d{6})\\b', _msgs[-1]['body']).group(1)",
      '',
    ].join('\n');
    const script = SEED_003_SCRIPT.replace("CLIENT_ID = 'your-app-client-id'", `CLIENT_ID = ${JSON.stringify(clientId)}`)
      .replace('# Confirm sign up (with code from email)\n', `# Confirm sign up (with code from email)\n${readCode}`)
      .replace("ConfirmationCode='123456'", 'ConfirmationCode=code')
      .concat("print(json.dumps({'id': id_token, 'access': access_token, 'refresh': refresh_token}))\n");
    assert.notEqual(script.indexOf('ConfirmationCode=code'), -1);
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile(
        PYTHON,
        ['-c', script],
        {
          timeout: 60_000,
          env: {
            PATH: process.env.PATH,
            AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: t.url,
            AWS_DEFAULT_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIDTOBIRATEST',
            AWS_SECRET_ACCESS_KEY: 'tobira-test-secret',
            AWS_CONFIG_FILE: '/nonexistent/tobira-config',
            AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/tobira-credentials',
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
  }

  test("boto3, seed 003 as printed: sign_up and confirm_sign_up work; initiate_auth is refused as Cognito refuses it on the seed's SRP-only client", needs('aws', 'boto3'), async () => {
    const { poolId, clientId } = await seed003Pool(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']);
    const res = await runSeed003(clientId);
    assert.equal(res.code, 1, res.stdout);
    assert.match(res.stderr, /InvalidParameterException\) when calling the InitiateAuth operation: USER_PASSWORD_AUTH flow not enabled for this client/);
    const u = await status(idp, poolId, 'bob@example.com');
    assert.equal(u.UserStatus, 'CONFIRMED');
    assert.equal(u.UserAttributes!.find((a) => a.Name === 'name')?.Value, 'Bob Smith');
    assert.equal(u.UserAttributes!.find((a) => a.Name === 'email_verified')?.Value, 'true');
  });

  test('boto3, seed 003 as printed, on the same client with ALLOW_USER_PASSWORD_AUTH added: signs in and gets the three tokens', needs('aws', 'boto3'), async () => {
    const { poolId, clientId } = await seed003Pool(['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_PASSWORD_AUTH']);
    const res = await runSeed003(clientId);
    assert.equal(res.code, 0, res.stderr);
    const tokens = JSON.parse(res.stdout);
    const u = await status(idp, poolId, 'bob@example.com');
    const claims = JSON.parse(Buffer.from(tokens.id.split('.')[1], 'base64url').toString());
    assert.equal(claims.sub, u.Username);
    assert.equal(claims.email, 'bob@example.com');
    assert.equal(claims.name, 'Bob Smith');
    assert.equal(claims.aud, clientId);
    assert.equal(JSON.parse(Buffer.from(tokens.access.split('.')[1], 'base64url').toString()).token_use, 'access');
    assert.ok(tokens.refresh.length > 20);
  });
});
