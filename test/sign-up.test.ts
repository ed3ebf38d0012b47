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
import { aws, idpClient, startTestServer } from './helpers/tobira.ts';
import { lastCode, outboxMessages } from './helpers/outbox.ts';
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
    assert.deepEqual(r.CodeDeliveryDetails, { Destination: 'b***@e***.com', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
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
      message: 'Password did not conform with password policy: Password not long enough',
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
      assert.deepEqual(r.CodeDeliveryDetails, { Destination: 'i***@e***.com', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
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
    assert.match(r1.CodeDeliveryDetails!.Destination!, /^\w\*\*\*@\w\*\*\*\.com$/);
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

  test('AWS CLI v2: sign-up, then confirm-sign-up with the emailed code', async () => {
    const { poolId, clientId } = await makePool(idp);
    const r = await aws(t.url, [
      'cognito-idp', 'sign-up', '--client-id', clientId, '--username', 'olga', '--password', 'SecurePass123!',
      '--user-attributes', 'Name=email,Value=olga@example.com',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.UserConfirmed, false);
    assert.equal(r.json.CodeDeliveryDetails.Destination, 'o***@e***.com');
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

  test('boto3, seed 003: sign_up, confirm_sign_up with the code from /_tobira/outbox, initiate_auth', async () => {
    const { poolId, clientId } = await makePool(
      idp,
      {
        UsernameAttributes: ['email'],
        Policies: { PasswordPolicy: { MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: false } },
        Schema: [
          { Name: 'email', Required: true, Mutable: true },
          { Name: 'name', Required: true, Mutable: true },
          { Name: 'company', AttributeDataType: 'String', Mutable: true },
        ],
        MfaConfiguration: 'OFF',
      },
    );
    const script = `
import boto3, json, re, sys, urllib.request, urllib.parse
endpoint, CLIENT_ID = sys.argv[1], sys.argv[2]
client = boto3.client('cognito-idp', endpoint_url=endpoint, region_name='us-east-1',
                      aws_access_key_id='x', aws_secret_access_key='x')
out = {}
r = client.sign_up(
    ClientId=CLIENT_ID,
    Username='bob@example.com',
    Password='SecurePass123!',
    UserAttributes=[
        {'Name': 'email', 'Value': 'bob@example.com'},
        {'Name': 'name', 'Value': 'Bob Smith'}
    ]
)
out['sign_up'] = {k: r[k] for k in ('UserConfirmed', 'UserSub', 'CodeDeliveryDetails')}
q = urllib.parse.urlencode({'to': 'bob@example.com'})
msgs = json.load(urllib.request.urlopen(endpoint + '/_tobira/outbox?' + q))['messages']
code = re.search(r'\\b(\\d{6})\\b', msgs[-1]['body']).group(1)
client.confirm_sign_up(ClientId=CLIENT_ID, Username='bob@example.com', ConfirmationCode=code)
try:
    response = client.initiate_auth(
        ClientId=CLIENT_ID,
        AuthFlow='USER_PASSWORD_AUTH',
        AuthParameters={'USERNAME': 'bob@example.com', 'PASSWORD': 'SecurePass123!'}
    )
    out['auth'] = sorted(response['AuthenticationResult'].keys())
except client.exceptions.ClientError as e:
    out['auth_error'] = e.response['Error']
print(json.dumps(out))
`;
    const res = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
      execFile('python3', ['-c', script, t.url, clientId], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.sign_up.UserConfirmed, false);
    assert.deepEqual(out.sign_up.CodeDeliveryDetails, { Destination: 'b***@e***.com', DeliveryMedium: 'EMAIL', AttributeName: 'email' });
    const u = await status(idp, poolId, 'bob@example.com');
    assert.equal(u.UserStatus, 'CONFIRMED');
    assert.equal(u.Username, out.sign_up.UserSub);
    assert.deepEqual(out.auth, ['AccessToken', 'ExpiresIn', 'IdToken', 'RefreshToken', 'TokenType'], JSON.stringify(out));
  });
});
