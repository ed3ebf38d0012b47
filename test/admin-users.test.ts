import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  AdminCreateUserCommand,
  AdminDeleteUserAttributesCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  AdminUpdateUserAttributesCommand,
  AdminConfirmSignUpCommand,
  CreateUserPoolCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';
import type { OutgoingMessage } from '../src/domain/messages/messenger.ts';
import { ManualClock } from '../src/clock.ts';
import { verifyPassword } from '../src/domain/users/passwords.ts';
import { UserRepo } from '../src/store/repos/users.ts';

const DAY = 86_400_000;

describe('admin user operations', () => {
  let t: Running;
  let sdk: CognitoIdentityProviderClient;
  const sent: OutgoingMessage[] = [];
  const clock = new ManualClock(Date.UTC(2026, 2, 1));

  const newPool = async (extra: Record<string, unknown> = {}) =>
    (await sdk.send(new CreateUserPoolCommand({ PoolName: 'p', ...extra }))).UserPool!.Id!;
  const stored = async (poolId: string, usernameKey: string) => (await t.app.store.users.get(poolId, usernameKey))!;

  before(async () => {
    t = await startTestServer({}, { clock, messenger: { send: async (m) => void sent.push(m) } });
    sdk = idpClient(t.url);
  });
  after(() => t.close());

  test('seed 001: admin-create-user, list-users, admin-get-user, admin-set-user-password, admin-delete-user', needs('aws'), async () => {
    const pool = (await aws(t.url, ['cognito-idp', 'create-user-pool', '--pool-name', 'Test user pool'], 'ap-northeast-1')).json.UserPool.Id;

    const created = await aws(t.url, ['cognito-idp', 'admin-create-user', '--user-pool-id', pool, '--username', 'user1'], 'ap-northeast-1');
    assert.equal(created.code, 0, created.stderr);
    const u = created.json.User;
    assert.equal(u.Username, 'user1');
    assert.equal(u.Enabled, true);
    assert.equal(u.UserStatus, 'FORCE_CHANGE_PASSWORD');
    assert.equal(u.Attributes.length, 1);
    assert.equal(u.Attributes[0].Name, 'sub');
    assert.match(u.Attributes[0].Value, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(u.UserCreateDate, '2026-03-01T00:00:00+00:00');

    const listed = await aws(t.url, ['cognito-idp', 'list-users', '--user-pool-id', pool], 'ap-northeast-1');
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.json.Users, [u]);

    const got = await aws(t.url, ['cognito-idp', 'admin-get-user', '--user-pool-id', pool, '--username', 'user1'], 'ap-northeast-1');
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(got.json, {
      Username: 'user1',
      UserAttributes: u.Attributes,
      UserCreateDate: u.UserCreateDate,
      UserLastModifiedDate: u.UserLastModifiedDate,
      Enabled: true,
      UserStatus: 'FORCE_CHANGE_PASSWORD',
    });

    const set = await aws(
      t.url,
      ['cognito-idp', 'admin-set-user-password', '--user-pool-id', pool, '--username', 'user1', '--password', 'Password!123'],
      'ap-northeast-1',
    );
    assert.equal(set.code, 0, set.stderr);
    const user = await stored(pool, 'user1');
    assert.equal(user.status, 'FORCE_CHANGE_PASSWORD');
    assert.equal(await verifyPassword(user.passwordHash, 'Password!123'), true);
    assert.doesNotMatch(JSON.stringify(user), /Password!123/);

    const del = await aws(t.url, ['cognito-idp', 'admin-delete-user', '--user-pool-id', pool, '--username', 'user1'], 'ap-northeast-1');
    assert.equal(del.code, 0, del.stderr);
    const gone = await aws(t.url, ['cognito-idp', 'admin-get-user', '--user-pool-id', pool, '--username', 'user1'], 'ap-northeast-1');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /An error occurred \(UserNotFoundException\) when calling the AdminGetUser operation: User does not exist\./);
  });

  test('seed 000: admin-create-user with --message-action SUPPRESS, then admin-set-user-password --permanent', needs('aws'), async () => {
    const pool = (
      await aws(t.url, [
        'cognito-idp', 'create-user-pool', '--pool-name', 'MyUserPool',
        '--policies', '{"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}}',
        '--auto-verified-attributes', 'email',
        '--schema', '[{"Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true}]',
        '--region', 'ap-northeast-1',
      ])
    ).json.UserPool.Id;
    const before = sent.length;
    const c = await aws(t.url, [
      'cognito-idp', 'admin-create-user', '--user-pool-id', pool, '--username', 'testuser@example.com',
      '--user-attributes', 'Name=email,Value=testuser@example.com', '--temporary-password', 'TempPass#1234',
      '--message-action', 'SUPPRESS', '--region', 'ap-northeast-1',
    ]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.json.User.Username, 'testuser@example.com');
    assert.deepEqual(c.json.User.Attributes.map((a: any) => a.Name), ['sub', 'email']);
    assert.equal(sent.length, before, 'SUPPRESS sends nothing');
    let user = await stored(pool, 'testuser@example.com');
    assert.equal(await verifyPassword(user.passwordHash, 'TempPass#1234'), true);
    assert.equal(user.tempPasswordExpiresAt, clock.now() + 7 * DAY);

    const s = await aws(t.url, [
      'cognito-idp', 'admin-set-user-password', '--user-pool-id', pool, '--username', 'testuser@example.com',
      '--password', 'NewSecurePass#5678', '--permanent', '--region', 'ap-northeast-1',
    ]);
    assert.equal(s.code, 0, s.stderr);
    user = await stored(pool, 'testuser@example.com');
    assert.equal(user.status, 'CONFIRMED');
    assert.equal(user.tempPasswordExpiresAt, null);
    assert.equal(await verifyPassword(user.passwordHash, 'NewSecurePass#5678'), true);
    assert.ok(user.srpVerifier && user.srpSalt);
  });

  test('the main errors as the CLI prints them', needs('aws'), async () => {
    const pool = await newPool();
    const run = (args: string[]) => aws(t.url, ['cognito-idp', ...args, '--user-pool-id', pool]);
    assert.equal((await run(['admin-create-user', '--username', 'dup', '--message-action', 'SUPPRESS'])).code, 0);
    let r = await run(['admin-create-user', '--username', 'DUP']);
    assert.match(r.stderr, /\(UsernameExistsException\) when calling the AdminCreateUser operation: User account already exists/);
    r = await run(['admin-create-user', '--username', 'weak', '--temporary-password', 'short']);
    assert.match(r.stderr, /\(InvalidPasswordException\) when calling the AdminCreateUser operation: Password did not conform with password policy: Password not long enough/);
    r = await run(['admin-create-user', '--username', 'x', '--user-attributes', 'Name=custom:nope,Value=1']);
    assert.match(r.stderr, /\(InvalidParameterException\) when calling the AdminCreateUser operation: Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema\./);
    r = await run(['admin-set-user-password', '--username', 'dup', '--password', 'alllowercase1!']);
    assert.match(r.stderr, /\(InvalidPasswordException\).*Password must have uppercase characters/);
    r = await run(['admin-confirm-sign-up', '--username', 'dup']);
    assert.match(r.stderr, /\(NotAuthorizedException\) when calling the AdminConfirmSignUp operation: User cannot confirm because user status is not UNCONFIRMED\./);
    r = await run(['admin-delete-user', '--username', 'nobody']);
    assert.match(r.stderr, /\(UserNotFoundException\) when calling the AdminDeleteUser operation: User does not exist\./);
    r = await aws(t.url, ['cognito-idp', 'admin-get-user', '--user-pool-id', 'us-east-1_missing00', '--username', 'dup']);
    assert.match(r.stderr, /\(ResourceNotFoundException\).*User pool us-east-1_missing00 does not exist\./);
  });

  test('the CLI updates and deletes attributes, disables and enables a user', needs('aws'), async () => {
    const pool = await newPool();
    const run = async (args: string[]) => {
      const r = await aws(t.url, ['cognito-idp', ...args, '--user-pool-id', pool]);
      assert.equal(r.code, 0, r.stderr);
      return r.json;
    };
    await run(['admin-create-user', '--username', 'cli', '--message-action', 'SUPPRESS', '--user-attributes', 'Name=email,Value=cli@example.com', 'Name=email_verified,Value=true']);
    await run(['admin-update-user-attributes', '--username', 'cli', '--user-attributes', 'Name=given_name,Value=Cli', 'Name=email,Value=cli2@example.com']);
    await run(['admin-delete-user-attributes', '--username', 'cli', '--user-attribute-names', 'given_name']);
    await run(['admin-disable-user', '--username', 'cli']);
    let got = await run(['admin-get-user', '--username', 'cli']);
    assert.equal(got.Enabled, false);
    assert.deepEqual(got.UserAttributes.filter((a: any) => a.Name !== 'sub'), [
      { Name: 'email', Value: 'cli2@example.com' },
      { Name: 'email_verified', Value: 'false' },
    ]);
    await run(['admin-enable-user', '--username', 'cli']);
    got = await run(['admin-get-user', '--username', 'cli']);
    assert.equal(got.Enabled, true);
    const bad = await aws(t.url, ['cognito-idp', 'admin-update-user-attributes', '--user-pool-id', pool, '--username', 'cli', '--user-attributes', 'Name=email,Value=nope']);
    assert.match(bad.stderr, /\(InvalidParameterException\) when calling the AdminUpdateUserAttributes operation: Invalid email address format\./);
  });

  test('a generated temporary password satisfies the policy and goes out in the default invitation', async () => {
    const pool = await newPool({ Policies: { PasswordPolicy: { MinimumLength: 16, RequireSymbols: true, RequireNumbers: true, RequireUppercase: true, RequireLowercase: true } } });
    sent.length = 0;
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'inv', UserAttributes: [{ Name: 'email', Value: 'inv@example.com' }] }));
    assert.equal(sent.length, 1);
    const m = sent[0];
    assert.equal(m.channel, 'EMAIL');
    assert.equal(m.destination, 'inv@example.com');
    assert.equal(m.kind, 'invitation');
    assert.equal(m.subject, 'Your temporary password');
    const pw = /^Your username is inv and temporary password is (.+)\.$/.exec(m.body)![1];
    assert.ok(pw.length >= 16 && /[A-Z]/.test(pw) && /[a-z]/.test(pw) && /\d/.test(pw) && /[^A-Za-z0-9]/.test(pw), pw);
    assert.equal(await verifyPassword((await stored(pool, 'inv')).passwordHash, pw), true);

    // SMS when a phone number is there, and the pool's own template.
    const custom = await newPool({
      AdminCreateUserConfig: { InviteMessageTemplate: { SMSMessage: 'Hi {username}, code {####}', EmailMessage: 'E {username} {####}', EmailSubject: 'S' } },
    });
    sent.length = 0;
    await sdk.send(new AdminCreateUserCommand({
      UserPoolId: custom, Username: 'both', TemporaryPassword: 'Abcdefg1!', DesiredDeliveryMediums: ['SMS', 'EMAIL'],
      UserAttributes: [{ Name: 'email', Value: 'b@example.com' }, { Name: 'phone_number', Value: '+15555550100' }],
    }));
    assert.deepEqual(sent.map((s) => [s.channel, s.destination, s.body]), [
      ['SMS', '+15555550100', 'Hi both, code Abcdefg1!'],
      ['EMAIL', 'b@example.com', 'E both Abcdefg1!'],
    ]);
    const e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: custom, Username: 'nomail', DesiredDeliveryMediums: ['EMAIL'] })));
    assert.equal(e.name, 'InvalidParameterException');
  });

  test('TemporaryPasswordValidityDays sets the expiry; MessageAction RESEND issues a new password', async () => {
    const pool = await newPool({ Policies: { PasswordPolicy: { MinimumLength: 8, TemporaryPasswordValidityDays: 3 } } });
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'r', UserAttributes: [{ Name: 'email', Value: 'r@example.com' }], MessageAction: 'SUPPRESS' }));
    assert.equal((await stored(pool, 'r')).tempPasswordExpiresAt, clock.now() + 3 * DAY);
    clock.advance(DAY);
    sent.length = 0;
    const res = await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'r', MessageAction: 'RESEND' }));
    assert.equal(res.User!.UserStatus, 'FORCE_CHANGE_PASSWORD');
    assert.equal(sent.length, 1);
    const pw = /temporary password is (.+)\.$/.exec(sent[0].body)![1];
    const user = await stored(pool, 'r');
    assert.equal(await verifyPassword(user.passwordHash, pw), true);
    assert.equal(user.tempPasswordExpiresAt, clock.now() + 3 * DAY);

    let e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'ghost', MessageAction: 'RESEND' })));
    assert.deepEqual(e, { name: 'UserNotFoundException', message: 'User does not exist.' });
    await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'r', Password: 'permanent1', Permanent: true }));
    e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'r', MessageAction: 'RESEND' })));
    assert.equal(e.name, 'UnsupportedUserStateException');
  });

  test('attributes: schema, formats, verified flags, immutables', async () => {
    const pool = await newPool({
      Schema: [
        { Name: 'tier', AttributeDataType: 'String', Mutable: false, StringAttributeConstraints: { MaxLength: '5' } },
        { Name: 'age', AttributeDataType: 'Number', NumberAttributeConstraints: { MinValue: '0', MaxValue: '150' } },
        { Name: 'name', AttributeDataType: 'String', Required: true },
      ],
    });
    const create = (Username: string, attrs: Record<string, string>) =>
      sdk.send(new AdminCreateUserCommand({
        UserPoolId: pool, Username, MessageAction: 'SUPPRESS',
        UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
      }));
    // AdminCreateUser does not demand the schema's required attributes (only SignUp does).
    await create('noname', {});
    let e = await sdkError(create('a', { email: 'not-an-email' }));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Invalid email address format.' });
    e = await sdkError(create('a', { phone_number: '555-0100' }));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Invalid phone number format.' });
    e = await sdkError(create('a', { 'custom:tier': 'toolong', 'custom:age': '200', sub: 'mine' }));
    assert.equal(e.name, 'InvalidParameterException');
    assert.match(e.message, /^Attributes did not conform to the schema: /);
    assert.match(e.message, /custom:tier: String must be no longer than 5 characters\n/);
    assert.match(e.message, /custom:age: Number must be no greater than 150\n/);
    assert.match(e.message, /sub: /);

    const c = await create('a', { email: 'a@example.com', email_verified: 'True', 'custom:tier': 'gold', 'custom:age': '30', name: 'A' });
    assert.deepEqual(Object.fromEntries(c.User!.Attributes!.map((x) => [x.Name, x.Value])), {
      sub: c.User!.Attributes![0].Value, email: 'a@example.com', email_verified: 'true', 'custom:tier': 'gold', 'custom:age': '30', name: 'A',
    });

    const get = async () => Object.fromEntries((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'a' }))).UserAttributes!.map((x) => [x.Name, x.Value]));
    const update = (attrs: Record<string, string>) =>
      sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'a', UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })) }));

    clock.advance(1000);
    await update({ email: 'new@example.com' });
    let attrs = await get();
    assert.equal(attrs.email, 'new@example.com');
    assert.equal(attrs.email_verified, 'false', 'a changed email is unverified again');
    await update({ email: 'newer@example.com', email_verified: 'true' });
    assert.equal((await get()).email_verified, 'true');
    e = await sdkError(update({ 'custom:tier': 'plat' }));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'user.custom:tier: Attribute cannot be updated.\n' });
    e = await sdkError(update({ sub: '00000000-0000-4000-8000-000000000000' }));
    assert.equal(e.name, 'InvalidParameterException');
    const got = await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'a' }));
    assert.equal(got.UserLastModifiedDate!.getTime(), clock.now());
    assert.ok(got.UserCreateDate!.getTime() < clock.now());

    await sdk.send(new AdminDeleteUserAttributesCommand({ UserPoolId: pool, Username: 'a', UserAttributeNames: ['email', 'custom:age'] }));
    attrs = await get();
    assert.equal(attrs.email, undefined);
    assert.equal(attrs.email_verified, undefined);
    assert.equal(attrs['custom:age'], undefined);
    e = await sdkError(sdk.send(new AdminDeleteUserAttributesCommand({ UserPoolId: pool, Username: 'a', UserAttributeNames: ['name'] })));
    assert.equal(e.name, 'InvalidParameterException');
    e = await sdkError(sdk.send(new AdminDeleteUserAttributesCommand({ UserPoolId: pool, Username: 'a', UserAttributeNames: ['custom:nope'] })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Attributes did not conform to the schema: custom:nope: Attribute does not exist in the schema.\n' });
  });

  test('AdminUpdateUserAttributes sends a code for a changed auto-verified email, or keeps the old one until verified', async () => {
    const pool = await newPool({ AutoVerifiedAttributes: ['email'] });
    const verified = (email: string) => [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }];
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'v', UserAttributes: verified('v@example.com'), MessageAction: 'SUPPRESS' }));
    const attrsOf = async () => Object.fromEntries((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'v' }))).UserAttributes!.map((x) => [x.Name, x.Value]));
    sent.length = 0;
    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'v', UserAttributes: [{ Name: 'email', Value: 'v2@example.com' }] }));
    assert.deepEqual(sent.map((m) => [m.kind, m.destination]), [['verify-attribute', 'v2@example.com']]);
    let a = await attrsOf();
    assert.equal(a.email, 'v2@example.com');
    assert.equal(a.email_verified, 'false');

    // Marked verified by the admin: no code.
    sent.length = 0;
    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'v', UserAttributes: verified('v3@example.com') }));
    assert.equal(sent.length, 0);
    assert.equal((await attrsOf()).email_verified, 'true');

    const strict = await newPool({ AutoVerifiedAttributes: ['email'], UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] } });
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: strict, Username: 'w', UserAttributes: verified('w@example.com'), MessageAction: 'SUPPRESS' }));
    sent.length = 0;
    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: strict, Username: 'w', UserAttributes: [{ Name: 'email', Value: 'w2@example.com' }] }));
    assert.deepEqual(sent.map((m) => m.destination), ['w2@example.com']);
    a = Object.fromEntries((await sdk.send(new AdminGetUserCommand({ UserPoolId: strict, Username: 'w' }))).UserAttributes!.map((x) => [x.Name, x.Value]));
    assert.equal(a.email, 'w@example.com', 'the verified address stays until the new one is verified');
    assert.equal(a.email_verified, 'true');
  });

  test('UsernameAttributes email: the username must be an email, becomes the sub, and the email is unique', async () => {
    const pool = await newPool({ UsernameAttributes: ['email'] });
    let e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'bob', MessageAction: 'SUPPRESS' })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Username should be an email.' });
    const c = await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'Bob@Example.com', MessageAction: 'SUPPRESS' }));
    const sub = c.User!.Attributes!.find((a) => a.Name === 'sub')!.Value;
    assert.equal(c.User!.Username, sub);
    assert.equal(c.User!.Attributes!.find((a) => a.Name === 'email')!.Value, 'Bob@Example.com');
    const byEmail = await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'bob@example.com' }));
    assert.equal(byEmail.Username, sub);
    const bySub = await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: sub }));
    assert.equal(bySub.Username, sub);
    e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'bob@example.com', MessageAction: 'SUPPRESS' })));
    assert.deepEqual(e, { name: 'UsernameExistsException', message: 'An account with the given email already exists.' });
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'carol@example.com', MessageAction: 'SUPPRESS' }));
    e = await sdkError(sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'carol@example.com', UserAttributes: [{ Name: 'email', Value: 'bob@example.com' }] })));
    // A change, not a creation: AliasExistsException even where the email is the username (aws/aws-sdk-net#4387).
    assert.deepEqual(e, { name: 'AliasExistsException', message: 'An account with the given email already exists.' });

    const both = await newPool({ UsernameAttributes: ['email', 'phone_number'] });
    e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: both, Username: 'bob', MessageAction: 'SUPPRESS' })));
    assert.equal(e.message, 'Username should be either an email or a phone number.');
    const phone = await sdk.send(new AdminCreateUserCommand({ UserPoolId: both, Username: '+15555550123', MessageAction: 'SUPPRESS' }));
    assert.equal(phone.User!.Attributes!.find((a) => a.Name === 'phone_number')!.Value, '+15555550123');
  });

  test('AliasAttributes: aliases are unique, ForceAliasCreation moves them', async () => {
    const pool = await newPool({ AliasAttributes: ['email', 'preferred_username'] });
    let e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'dan@example.com', MessageAction: 'SUPPRESS' })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'Username cannot be of email format, since user pool is configured for email alias.' });
    const verified = (email: string) => [{ Name: 'email', Value: email }, { Name: 'email_verified', Value: 'true' }];
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'dan', UserAttributes: verified('dan@example.com'), MessageAction: 'SUPPRESS' }));
    // An unverified email is no alias, so it may repeat.
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'eve', UserAttributes: [{ Name: 'email', Value: 'dan@example.com' }], MessageAction: 'SUPPRESS' }));
    e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'fay', UserAttributes: verified('DAN@example.com'), MessageAction: 'SUPPRESS' })));
    assert.deepEqual(e, { name: 'AliasExistsException', message: 'An account with the given email already exists.' });
    assert.equal((await sdkError(sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'fay' })))).name, 'UserNotFoundException', 'nothing was stored');

    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'fay', UserAttributes: verified('dan@example.com'), ForceAliasCreation: true, MessageAction: 'SUPPRESS' }));
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'dan@example.com' }))).Username, 'fay');
    const dan = await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'dan' }));
    assert.equal(dan.UserAttributes!.find((a) => a.Name === 'email_verified')!.Value, 'false');

    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'dan', UserAttributes: [{ Name: 'preferred_username', Value: 'danny' }] }));
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'danny' }))).Username, 'dan');
    e = await sdkError(sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'eve', UserAttributes: [{ Name: 'preferred_username', Value: 'danny' }] })));
    assert.equal(e.name, 'AliasExistsException');

    // An UNCONFIRMED user (as SignUp leaves one) holds no alias yet.
    const eve = await stored(pool, 'eve');
    eve.status = 'UNCONFIRMED';
    await t.app.store.users.update(eve);
    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'eve', UserAttributes: [{ Name: 'preferred_username', Value: 'evie' }] }));
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'gil', UserAttributes: [{ Name: 'preferred_username', Value: 'evie' }], MessageAction: 'SUPPRESS' }));
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'evie' }))).Username, 'gil');

    // Confirming her brings her verified email into force; AdminConfirmSignUp cannot fail with
    // AliasExistsException, so the alias moves from fay.
    await sdk.send(new AdminUpdateUserAttributesCommand({ UserPoolId: pool, Username: 'eve', UserAttributes: [{ Name: 'email_verified', Value: 'true' }, { Name: 'preferred_username', Value: '' }] }));
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'dan@example.com' }))).Username, 'fay');
    await sdk.send(new AdminConfirmSignUpCommand({ UserPoolId: pool, Username: 'eve' }));
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'dan@example.com' }))).Username, 'eve');
  });

  test('usernames are case-insensitive unless the pool says CaseSensitive', async () => {
    const insensitive = await newPool();
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: insensitive, Username: 'Kim', MessageAction: 'SUPPRESS' }));
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: insensitive, Username: 'KIM' }))).Username, 'Kim');
    const sensitive = await newPool({ UsernameConfiguration: { CaseSensitive: true } });
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: sensitive, Username: 'Kim', MessageAction: 'SUPPRESS' }));
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: sensitive, Username: 'kim', MessageAction: 'SUPPRESS' }));
    assert.equal((await sdkError(sdk.send(new AdminGetUserCommand({ UserPoolId: sensitive, Username: 'KIM' })))).name, 'UserNotFoundException');
  });

  test('enable, disable, confirm and set password (with history) through the JS SDK', async () => {
    const pool = await newPool({ Policies: { PasswordPolicy: { MinimumLength: 8, PasswordHistorySize: 2 } } });
    await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'gus', MessageAction: 'SUPPRESS' }));
    await sdk.send(new AdminDisableUserCommand({ UserPoolId: pool, Username: 'gus' }));
    let g = await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'gus' }));
    assert.equal(g.Enabled, false);
    const revoked = (await stored(pool, 'gus')).tokensRevokedBefore!;
    assert.ok(revoked <= clock.now() && revoked > clock.now() - 1000, 'disabling revokes the tokens issued so far');
    await sdk.send(new AdminEnableUserCommand({ UserPoolId: pool, Username: 'gus' }));
    g = await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'gus' }));
    assert.equal(g.Enabled, true);

    // An UNCONFIRMED user (as SignUp leaves one) is confirmed by the admin.
    const u = await stored(pool, 'gus');
    u.status = 'UNCONFIRMED';
    await t.app.store.users.update(u);
    await sdk.send(new AdminConfirmSignUpCommand({ UserPoolId: pool, Username: 'gus' }));
    assert.equal((await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'gus' }))).UserStatus, 'CONFIRMED');

    await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'gus', Password: 'first-pass', Permanent: true }));
    await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'gus', Password: 'second-pass', Permanent: true }));
    let e = await sdkError(sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'gus', Password: 'first-pass', Permanent: true })));
    assert.deepEqual(e, { name: 'PasswordHistoryPolicyViolationException', message: 'Password has previously been used' });
    await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'gus', Password: 'third-pass', Permanent: false }));
    g = await sdk.send(new AdminGetUserCommand({ UserPoolId: pool, Username: 'gus' }));
    assert.equal(g.UserStatus, 'FORCE_CHANGE_PASSWORD');
    // Only the last two are remembered.
    await sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'gus', Password: 'first-pass', Permanent: true }));
    e = await sdkError(sdk.send(new AdminSetUserPasswordCommand({ UserPoolId: pool, Username: 'nobody', Password: 'whatever1', Permanent: true })));
    assert.equal(e.name, 'UserNotFoundException');
  });

  test('concurrent creates of one username or one email: exactly one wins, the rest get Cognito errors', async () => {
    const pool = await newPool();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () => sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'race', MessageAction: 'SUPPRESS' }))),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) if (r.status === 'rejected') assert.equal(r.reason.name, 'UsernameExistsException');

    const byEmail = await newPool({ UsernameAttributes: ['email'] });
    const emails = await Promise.allSettled(
      Array.from({ length: 8 }, () => sdk.send(new AdminCreateUserCommand({ UserPoolId: byEmail, Username: 'race@example.com', MessageAction: 'SUPPRESS' }))),
    );
    assert.equal(emails.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of emails) if (r.status === 'rejected') assert.equal(r.reason.name, 'UsernameExistsException');
    assert.equal(await t.app.store.pools.countUsers(byEmail), 1);
  });

  test("a create whose checks miss another node's commit (PostgreSQL) gets Cognito's error from the unique keys, not a 500", async () => {
    // Under PostgreSQL two nodes can both pass the look-ups before either commits. Hiding the
    // existing user from the look-ups reproduces that here: only the unique keys are left.
    const repo = UserRepo.prototype;
    const { get, getByAlias } = repo;
    repo.get = async function (poolId, key) {
      return key === 'racer' ? undefined : get.call(this, poolId, key);
    };
    repo.getByAlias = async function (poolId, key) {
      return key.startsWith('email:racer@') ? undefined : getByAlias.call(this, poolId, key);
    };
    try {
      const pool = await newPool();
      await sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'racer', MessageAction: 'SUPPRESS' }));
      let e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'racer', MessageAction: 'SUPPRESS' })));
      assert.deepEqual(e, { name: 'UsernameExistsException', message: 'User account already exists' });

      const byEmail = await newPool({ UsernameAttributes: ['email'] });
      await sdk.send(new AdminCreateUserCommand({ UserPoolId: byEmail, Username: 'racer@example.com', MessageAction: 'SUPPRESS' }));
      e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: byEmail, Username: 'racer@example.com', MessageAction: 'SUPPRESS' })));
      assert.deepEqual(e, { name: 'UsernameExistsException', message: 'An account with the given email already exists.' });
      assert.equal(await t.app.store.pools.countUsers(byEmail), 1);

      const byAlias = await newPool({ AliasAttributes: ['email'] });
      const verified = [{ Name: 'email', Value: 'racer@example.com' }, { Name: 'email_verified', Value: 'true' }];
      await sdk.send(new AdminCreateUserCommand({ UserPoolId: byAlias, Username: 'one', UserAttributes: verified, MessageAction: 'SUPPRESS' }));
      e = await sdkError(sdk.send(new AdminCreateUserCommand({ UserPoolId: byAlias, Username: 'two', UserAttributes: verified, MessageAction: 'SUPPRESS' })));
      assert.deepEqual(e, { name: 'AliasExistsException', message: 'An account with the given email already exists.' });
      assert.equal(await t.app.store.pools.countUsers(byAlias), 1);
    } finally {
      repo.get = get;
      repo.getByAlias = getByAlias;
    }
  });

  test('boto3 creates and reads a user', needs('boto3'), async () => {
    const pool = await newPool();
    const script = `
import boto3, json, sys
c = boto3.client('cognito-idp', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='x')
c.admin_create_user(UserPoolId=sys.argv[2], Username='py', MessageAction='SUPPRESS',
                    UserAttributes=[{'Name': 'email', 'Value': 'py@example.com'}])
u = c.admin_get_user(UserPoolId=sys.argv[2], Username='py')
try:
    c.admin_create_user(UserPoolId=sys.argv[2], Username='py')
    err = None
except c.exceptions.UsernameExistsException as e:
    err = e.response['Error']['Message']
print(json.dumps({'status': u['UserStatus'], 'email': [a['Value'] for a in u['UserAttributes'] if a['Name'] == 'email'], 'err': err}))
`;
    // Asynchronously: the server runs in this process and must keep answering.
    const { stdout } = await promisify(execFile)(PYTHON, ['-c', script, t.url, pool], { encoding: 'utf8', timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout), { status: 'FORCE_CHANGE_PASSWORD', email: ['py@example.com'], err: 'User account already exists' });
  });

  test('bad input never leaves a half-written user', async () => {
    const pool = await newPool({ AliasAttributes: ['email'] });
    const r = await rawCall(t.url, 'AdminCreateUser', {
      UserPoolId: pool, Username: 'h', UserAttributes: [{ Name: 'email', Value: 'h@example.com' }, { Name: 'custom:x', Value: '1' }],
    });
    assert.equal(r.status, 400);
    assert.equal(await t.app.store.pools.countUsers(pool), 0);
    const r2 = await rawCall(t.url, 'AdminCreateUser', { UserPoolId: pool, Username: 'h', UserAttributes: 'nope' });
    assert.equal(r2.status, 400);
    assert.equal(await t.app.store.pools.countUsers(pool), 0);
  });
});
