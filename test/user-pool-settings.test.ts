import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AddCustomAttributesCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  UpdateUserPoolCommand,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
  type SchemaAttributeType,
} from '@aws-sdk/client-cognito-identity-provider';
import { idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import type { Running } from '../src/tobira.ts';
import { ManualClock } from '../src/clock.ts';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:MyFunction';

describe('user pool settings over the JS SDK v3', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  const clock = new ManualClock(Date.UTC(2026, 2, 1, 12, 0, 0));
  before(async () => {
    t = await startTestServer({}, { clock });
    idp = idpClient(t.url);
  });
  after(() => t.close());

  const create = async (input: Omit<CreateUserPoolCommandInput, 'PoolName'> & { PoolName?: string }) =>
    (await idp.send(new CreateUserPoolCommand({ PoolName: 'settings', ...input }))).UserPool!;
  const describePool = async (id: string) => (await idp.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool!;
  const createError = (input: Omit<CreateUserPoolCommandInput, 'PoolName'>) =>
    sdkError(idp.send(new CreateUserPoolCommand({ PoolName: 'bad', ...input })));

  test("every CreateUserPool member is stored and echoed (the API reference's full example)", async () => {
    const input: CreateUserPoolCommandInput = {
      PoolName: 'my-test-user-pool',
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
      AdminCreateUserConfig: {
        AllowAdminCreateUserOnly: false,
        InviteMessageTemplate: {
          EmailMessage: 'Your username is {username} and temporary password is {####}.',
          EmailSubject: 'Your sign-in information',
          SMSMessage: 'Your username is {username} and temporary password is {####}.',
        },
      },
      AliasAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      DeletionProtection: 'ACTIVE',
      DeviceConfiguration: { ChallengeRequiredOnNewDevice: true, DeviceOnlyRememberedOnUserPrompt: true },
      EmailConfiguration: {
        ConfigurationSet: 'my-test-ses-configuration-set',
        EmailSendingAccount: 'DEVELOPER',
        From: 'support@example.com',
        ReplyToEmailAddress: 'support@example.com',
        SourceArn: 'arn:aws:ses:us-east-1:123456789012:identity/support@example.com',
      },
      EmailVerificationMessage: 'Your verification code is {####}.',
      EmailVerificationSubject: 'Verify your email address',
      LambdaConfig: {
        CustomEmailSender: { LambdaArn: LAMBDA, LambdaVersion: 'V1_0' },
        CustomMessage: LAMBDA,
        PreSignUp: LAMBDA,
        KMSKeyID: 'arn:aws:kms:us-east-1:123456789012:key/a6c4f8e2-0c45-47db-925f-87854bc9e357',
      },
      MfaConfiguration: 'OPTIONAL',
      Policies: {
        PasswordPolicy: {
          MinimumLength: 6, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true, RequireUppercase: true,
          TemporaryPasswordValidityDays: 7, PasswordHistorySize: 5,
        },
        SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] },
      },
      Schema: [
        {
          AttributeDataType: 'Number', DeveloperOnlyAttribute: true, Mutable: true, Name: 'mydev', Required: false,
          NumberAttributeConstraints: { MaxValue: '99', MinValue: '1' },
          StringAttributeConstraints: { MaxLength: '99', MinLength: '1' },
        },
      ],
      SmsAuthenticationMessage: 'Your verification code is {####}.',
      SmsConfiguration: { ExternalId: 'my-role-external-id', SnsCallerArn: 'arn:aws:iam::123456789012:role/service-role/test-cognito-SMS-Role' },
      SmsVerificationMessage: 'Your verification code is {####}.',
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
      UserPoolAddOns: { AdvancedSecurityMode: 'OFF' },
      UserPoolTags: { 'my-test-tag-key': 'my-test-tag-value' },
      UsernameConfiguration: { CaseSensitive: true },
      UserPoolTier: 'PLUS',
      VerificationMessageTemplate: {
        DefaultEmailOption: 'CONFIRM_WITH_CODE',
        EmailMessage: 'Your confirmation code is {####}',
        EmailMessageByLink: 'Choose this link to {##verify your email##}',
        EmailSubject: 'Here is your confirmation code',
        EmailSubjectByLink: 'Here is your confirmation link',
        SmsMessage: 'Your confirmation code is {####}',
      },
    };
    const created = (await idp.send(new CreateUserPoolCommand(input))).UserPool!;
    const p = await describePool(created.Id!);
    assert.deepEqual(p, created);
    assert.deepEqual(p.AccountRecoverySetting, input.AccountRecoverySetting);
    assert.deepEqual(p.AdminCreateUserConfig, { ...input.AdminCreateUserConfig, UnusedAccountValidityDays: 7 });
    assert.deepEqual(p.AliasAttributes, ['email']);
    assert.deepEqual(p.AutoVerifiedAttributes, ['email']);
    assert.equal(p.DeletionProtection, 'ACTIVE');
    assert.deepEqual(p.DeviceConfiguration, input.DeviceConfiguration);
    assert.deepEqual(p.EmailConfiguration, input.EmailConfiguration);
    assert.deepEqual(p.LambdaConfig, input.LambdaConfig);
    assert.equal(p.MfaConfiguration, 'OPTIONAL');
    assert.deepEqual(p.Policies, input.Policies);
    assert.equal(p.SmsAuthenticationMessage, input.SmsAuthenticationMessage);
    // Cognito adds the pool's region as the SNS region.
    assert.deepEqual(p.SmsConfiguration, { ...input.SmsConfiguration, SnsRegion: 'us-east-1' });
    assert.deepEqual(p.UserAttributeUpdateSettings, input.UserAttributeUpdateSettings);
    assert.deepEqual(p.UserPoolAddOns, input.UserPoolAddOns);
    assert.deepEqual(p.UserPoolTags, input.UserPoolTags);
    assert.deepEqual(p.UsernameConfiguration, { CaseSensitive: true });
    assert.equal(p.UserPoolTier, 'PLUS');
    // Both spellings of the verification messages are kept as given when both are given.
    assert.equal(p.EmailVerificationMessage, 'Your verification code is {####}.');
    assert.equal(p.EmailVerificationSubject, 'Verify your email address');
    assert.equal(p.SmsVerificationMessage, 'Your verification code is {####}.');
    assert.deepEqual(p.VerificationMessageTemplate, input.VerificationMessageTemplate);
    // A developer-only Number attribute: dev:custom: name, only the Number constraints kept.
    assert.deepEqual(p.SchemaAttributes!.at(-1), {
      AttributeDataType: 'Number', DeveloperOnlyAttribute: true, Mutable: true, Name: 'dev:custom:mydev', Required: false,
      NumberAttributeConstraints: { MaxValue: '99', MinValue: '1' },
    });
    assert.equal(p.SchemaAttributes!.length, 21);
    assert.equal(p.Arn, `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${p.Id}`);
    assert.equal(p.CreationDate!.getTime(), clock.now());
    assert.equal(p.LastModifiedDate!.getTime(), clock.now());
  });

  test('a bare pool gets the defaults seed 001 shows, tier ESSENTIALS and the PASSWORD sign-in policy', async () => {
    const p = await create({});
    assert.deepEqual(p.Policies, {
      PasswordPolicy: {
        MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true,
        TemporaryPasswordValidityDays: 7,
      },
      SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] },
    });
    assert.equal(p.UserPoolTier, 'ESSENTIALS');
    assert.equal(p.DeletionProtection, 'INACTIVE');
    assert.equal(p.UsernameConfiguration, undefined);
    assert.equal(p.AutoVerifiedAttributes, undefined);
    assert.equal(p.SmsConfiguration, undefined);
    assert.equal(p.EmailVerificationMessage, undefined);
    assert.deepEqual(p.VerificationMessageTemplate, { DefaultEmailOption: 'CONFIRM_WITH_CODE' });
    assert.deepEqual(p.AdminCreateUserConfig, { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 });
  });

  test('a partial password policy: members left out are off, validity 0 means 7, history 0 is not shown', async () => {
    let p = await create({ Policies: { PasswordPolicy: { MinimumLength: 12, TemporaryPasswordValidityDays: 0, PasswordHistorySize: 0 } } });
    assert.deepEqual(p.Policies!.PasswordPolicy, {
      MinimumLength: 12, RequireUppercase: false, RequireLowercase: false, RequireNumbers: false, RequireSymbols: false,
      TemporaryPasswordValidityDays: 7,
    });
    p = await create({ Policies: { PasswordPolicy: { RequireNumbers: true, TemporaryPasswordValidityDays: 365, PasswordHistorySize: 24 } } });
    assert.deepEqual(p.Policies!.PasswordPolicy, {
      MinimumLength: 8, RequireUppercase: false, RequireLowercase: false, RequireNumbers: true, RequireSymbols: false,
      TemporaryPasswordValidityDays: 365, PasswordHistorySize: 24,
    });
    assert.equal(p.AdminCreateUserConfig!.UnusedAccountValidityDays, 365);
    // The model's ranges, in AWS's words.
    let e = await createError({ Policies: { PasswordPolicy: { MinimumLength: 5 } } });
    assert.deepEqual(e, {
      name: 'InvalidParameterException',
      message: "1 validation error detected: Value '5' at 'policies.passwordPolicy.minimumLength' failed to satisfy constraint: Member must have value greater than or equal to 6",
    });
    e = await createError({ Policies: { PasswordPolicy: { PasswordHistorySize: 25, TemporaryPasswordValidityDays: 366 } } });
    assert.match(e.message, /^2 validation errors detected: .*passwordHistorySize.*; .*temporaryPasswordValidityDays/);
    // Password history is an Essentials and Plus feature: a LITE pool is refused it only with
    // --enforce-tiers (test/user-auth.test.ts); by default every tier has every feature.
    p = await create({ UserPoolTier: 'LITE', Policies: { PasswordPolicy: { PasswordHistorySize: 3 } } });
    assert.equal(p.Policies!.PasswordPolicy!.PasswordHistorySize, 3);
  });

  test('UnusedAccountValidityDays: alone it sets the temporary password validity; with TemporaryPasswordValidityDays it is refused', async () => {
    const p = await create({ AdminCreateUserConfig: { UnusedAccountValidityDays: 3 } });
    assert.equal(p.Policies!.PasswordPolicy!.TemporaryPasswordValidityDays, 3);
    assert.equal(p.AdminCreateUserConfig!.UnusedAccountValidityDays, 3);
    const e = await createError({
      AdminCreateUserConfig: { UnusedAccountValidityDays: 3 },
      Policies: { PasswordPolicy: { TemporaryPasswordValidityDays: 5 } },
    });
    assert.deepEqual(e, {
      name: 'InvalidParameterException',
      message: 'Please use TemporaryPasswordValidityDays in PasswordPolicy instead of UnusedAccountValidityDays',
    });
  });

  test('legacy verification messages fill VerificationMessageTemplate, and the other way round', async () => {
    let p = await create({ EmailVerificationMessage: 'Code {####}', EmailVerificationSubject: 'Your code', SmsVerificationMessage: 'SMS {####}' });
    assert.deepEqual(p.VerificationMessageTemplate, {
      DefaultEmailOption: 'CONFIRM_WITH_CODE', EmailMessage: 'Code {####}', EmailSubject: 'Your code', SmsMessage: 'SMS {####}',
    });
    p = await create({ VerificationMessageTemplate: { EmailMessage: 'T {####}', SmsMessage: 'S {####}', DefaultEmailOption: 'CONFIRM_WITH_LINK' } });
    assert.equal(p.EmailVerificationMessage, 'T {####}');
    assert.equal(p.SmsVerificationMessage, 'S {####}');
    assert.equal(p.EmailVerificationSubject, undefined);
    assert.equal(p.VerificationMessageTemplate!.DefaultEmailOption, 'CONFIRM_WITH_LINK');
    // The model's pattern wants the {####} placeholder.
    const e = await createError({ EmailVerificationMessage: 'no code here' });
    assert.equal(e.name, 'InvalidParameterException');
    assert.match(e.message, /at 'emailVerificationMessage' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  test('UsernameAttributes and AliasAttributes together are refused; each alone is echoed', async () => {
    const e = await createError({ UsernameAttributes: ['email'], AliasAttributes: ['phone_number'] });
    assert.deepEqual(e, {
      name: 'InvalidParameterException',
      message: 'Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.',
    });
    assert.deepEqual((await create({ UsernameAttributes: ['email', 'phone_number'] })).UsernameAttributes, ['email', 'phone_number']);
    const aliased = await create({ AliasAttributes: ['email', 'preferred_username'] });
    assert.deepEqual(aliased.AliasAttributes, ['email', 'preferred_username']);
    assert.equal(aliased.UsernameAttributes, undefined);
  });

  test('MFA ON or OPTIONAL at creation needs an SMS configuration', async () => {
    for (const mfa of ['ON', 'OPTIONAL'] as const) {
      const e = await createError({ MfaConfiguration: mfa, AutoVerifiedAttributes: ['email'] });
      assert.deepEqual(e, {
        name: 'InvalidParameterException',
        message: 'SMS configuration and Auto verification for phone_number are required when MFA is required/optional',
      });
    }
    const p = await create({ MfaConfiguration: 'ON', SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::123456789012:role/sms', SnsRegion: 'eu-west-1' } });
    assert.equal(p.MfaConfiguration, 'ON');
    assert.equal(p.SmsConfiguration!.SnsRegion, 'eu-west-1');
  });

  test('AttributesRequireVerificationBeforeUpdate must be auto-verified attributes', async () => {
    const e = await createError({ UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] } });
    assert.deepEqual(e, {
      name: 'InvalidParameterException',
      message: 'All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes',
    });
  });

  test('standard attributes: Required, Mutable and constraints change; type and developer-only do not', async () => {
    const p = await create({
      Schema: [
        { Name: 'email', AttributeDataType: 'String', Required: true, Mutable: false },
        { Name: 'given_name', StringAttributeConstraints: { MinLength: '2', MaxLength: '100' } },
        { Name: 'updated_at', AttributeDataType: 'Number', NumberAttributeConstraints: { MinValue: '5' } },
      ],
    });
    const byName = (n: string) => p.SchemaAttributes!.find((a) => a.Name === n)!;
    assert.deepEqual(byName('email'), {
      Name: 'email', AttributeDataType: 'String', DeveloperOnlyAttribute: false, Mutable: false, Required: true,
      StringAttributeConstraints: { MinLength: '0', MaxLength: '2048' },
    });
    assert.deepEqual(byName('given_name').StringAttributeConstraints, { MinLength: '2', MaxLength: '100' });
    assert.deepEqual(byName('updated_at').NumberAttributeConstraints, { MinValue: '5' });
    assert.equal(p.SchemaAttributes!.length, 20, 'standard attributes are changed in place, not added');
    for (const bad of [
      { Name: 'email', AttributeDataType: 'Number' },
      { Name: 'email', DeveloperOnlyAttribute: true },
    ] as SchemaAttributeType[]) {
      assert.deepEqual(await createError({ Schema: [bad] }), {
        name: 'InvalidParameterException',
        message: 'You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email',
      });
    }
  });

  test('custom attributes: prefixes, defaults, empty constraints, and the type-specific constraints only', async () => {
    const p = await create({
      Schema: [
        { Name: 'tenant', AttributeDataType: 'String' },
        { Name: 'level', AttributeDataType: 'Number', Mutable: false },
        { Name: 'flag', AttributeDataType: 'Boolean', StringAttributeConstraints: { MaxLength: '5' } },
        { Name: 'born', AttributeDataType: 'DateTime' },
        { Name: 'secret', AttributeDataType: 'String', DeveloperOnlyAttribute: true, StringAttributeConstraints: { MaxLength: '64' } },
        { Name: 'custom:x', AttributeDataType: 'String', NumberAttributeConstraints: { MinValue: '1' } },
      ],
    });
    const custom = p.SchemaAttributes!.slice(20);
    const base = { DeveloperOnlyAttribute: false, Mutable: true, Required: false };
    assert.deepEqual(custom, [
      { ...base, Name: 'custom:tenant', AttributeDataType: 'String', StringAttributeConstraints: {} },
      { ...base, Name: 'custom:level', AttributeDataType: 'Number', Mutable: false, NumberAttributeConstraints: {} },
      { ...base, Name: 'custom:flag', AttributeDataType: 'Boolean' },
      { ...base, Name: 'custom:born', AttributeDataType: 'DateTime' },
      { ...base, Name: 'dev:custom:secret', AttributeDataType: 'String', DeveloperOnlyAttribute: true, StringAttributeConstraints: { MaxLength: '64' } },
      // Cognito prefixes blindly (crossplane-contrib/provider-upjet-aws#427).
      { ...base, Name: 'custom:custom:x', AttributeDataType: 'String', StringAttributeConstraints: {} },
    ]);
  });

  test("bad schema entries get Cognito's messages", async () => {
    const cases: [SchemaAttributeType, string][] = [
      [{ Name: 'nodatatype' }, 'Invalid AttributeDataType input, consider using the provided AttributeDataType enum.'],
      [{ Name: 'must', AttributeDataType: 'String', Required: true }, 'Required custom attributes are not supported currently.'],
      [{ Name: 'email', StringAttributeConstraints: { MinLength: 'abc' } }, 'Invalid StringAttributeConstraints for schema attribute email'],
      [{ Name: 'n', AttributeDataType: 'Number', NumberAttributeConstraints: { MaxValue: '1.5' } }, 'Invalid NumberAttributeConstraints for schema attribute custom:n'],
      [{ Name: 'email', StringAttributeConstraints: { MaxLength: '2049' } }, 'user.email: String attributes cannot have a length of more than 2048'],
      [{ Name: 's', AttributeDataType: 'String', StringAttributeConstraints: { MinLength: '9', MaxLength: '3' } }, 'user.custom:s: Max length cannot be less than min length.'],
      [{ Name: 'updated_at', NumberAttributeConstraints: { MinValue: '2', MaxValue: '1' } }, 'user.updated_at: Max value cannot be less than min value.'],
    ];
    for (const [attr, message] of cases) {
      assert.deepEqual(await createError({ Schema: [attr] }), { name: 'InvalidParameterException', message }, JSON.stringify(attr));
    }
    // Names and list sizes are the model's: 1-20 characters, 1-50 entries.
    let e = await createError({ Schema: [{ Name: 'a'.repeat(21), AttributeDataType: 'String' }] });
    assert.equal(
      e.message,
      `1 validation error detected: Value '${'a'.repeat(21)}' at 'schema.1.member.name' failed to satisfy constraint: Member must have length less than or equal to 20`,
    );
    e = await createError({ Schema: Array.from({ length: 51 }, (_, i) => ({ Name: `c${i}`, AttributeDataType: 'String' as const })) });
    assert.match(e.message, /at 'schema' failed to satisfy constraint: Member must have length less than or equal to 50/);
    e = await createError({ Schema: [{ Name: 'dup', AttributeDataType: 'String' }, { Name: 'dup', AttributeDataType: 'Number', DeveloperOnlyAttribute: true }] });
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'custom:dup: Existing attribute already has name custom:dup.' });
  });

  test('AddCustomAttributes: added after the standard ones, duplicates and the 50 limit refused, LastModifiedDate moves', async () => {
    const p = await create({ Schema: [{ Name: 'banana', AttributeDataType: 'String', DeveloperOnlyAttribute: true }] });
    clock.advance(5_000);
    await idp.send(new AddCustomAttributesCommand({ UserPoolId: p.Id, CustomAttributes: [{ Name: 'tier', AttributeDataType: 'Number' }] }));
    const after1 = await describePool(p.Id!);
    assert.deepEqual(after1.SchemaAttributes!.slice(20).map((a) => a.Name), ['dev:custom:banana', 'custom:tier']);
    assert.equal(after1.LastModifiedDate!.getTime() - after1.CreationDate!.getTime(), 5_000);

    let e = await sdkError(idp.send(new AddCustomAttributesCommand({ UserPoolId: p.Id, CustomAttributes: [{ Name: 'banana', AttributeDataType: 'String' }] })));
    assert.deepEqual(e, { name: 'InvalidParameterException', message: 'custom:banana: Existing attribute already has name dev:custom:banana.' });
    e = await sdkError(idp.send(new AddCustomAttributesCommand({ UserPoolId: p.Id, CustomAttributes: [] })));
    assert.match(e.message, /at 'customAttributes' failed to satisfy constraint: Member must have length greater than or equal to 1/);
    e = await sdkError(idp.send(new AddCustomAttributesCommand({
      UserPoolId: p.Id, CustomAttributes: Array.from({ length: 26 }, (_, i) => ({ Name: `a${i}`, AttributeDataType: 'String' as const })),
    })));
    assert.match(e.message, /at 'customAttributes' failed to satisfy constraint: Member must have length less than or equal to 25/);

    // 2 custom so far; 25 + 23 = 50 exactly is fine, one more is not, and a refused call adds nothing.
    const batch = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ Name: `${prefix}${i}`, AttributeDataType: 'String' as const }));
    await idp.send(new AddCustomAttributesCommand({ UserPoolId: p.Id, CustomAttributes: batch('a', 25) }));
    await idp.send(new AddCustomAttributesCommand({ UserPoolId: p.Id, CustomAttributes: batch('b', 23) }));
    e = await sdkError(idp.send(new AddCustomAttributesCommand({ UserPoolId: p.Id, CustomAttributes: batch('c', 1) })));
    assert.equal(e.name, 'InvalidParameterException');
    assert.match(e.message, /at most 50 custom attributes/);
    assert.equal((await describePool(p.Id!)).SchemaAttributes!.length, 70);

    e = await sdkError(idp.send(new AddCustomAttributesCommand({ UserPoolId: 'us-east-1_nothere00', CustomAttributes: batch('d', 1) })));
    assert.deepEqual(e, { name: 'ResourceNotFoundException', message: 'User pool us-east-1_nothere00 does not exist.' });
  });

  test('UpdateUserPool resets what it is not given, keeps what it cannot change, and moves LastModifiedDate', async () => {
    const p = await create({
      AutoVerifiedAttributes: ['email'],
      UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
      LambdaConfig: { PreSignUp: LAMBDA },
      Policies: { PasswordPolicy: { MinimumLength: 10 } },
      MfaConfiguration: 'OPTIONAL',
      SmsConfiguration: { SnsCallerArn: 'arn:aws:iam::123456789012:role/sms' },
      EmailVerificationMessage: 'Code {####}',
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      Schema: [{ Name: 'tenant', AttributeDataType: 'String' }],
      DeletionProtection: 'ACTIVE',
      UserPoolTags: { team: 'a' },
      UserPoolTier: 'PLUS',
      DeviceConfiguration: { ChallengeRequiredOnNewDevice: true },
    });
    clock.advance(60_000);
    // Cognito keeps UserAttributeUpdateSettings, so dropping the auto-verified email breaks it.
    const e = await sdkError(idp.send(new UpdateUserPoolCommand({ UserPoolId: p.Id, DeletionProtection: 'INACTIVE' })));
    assert.deepEqual(e, {
      name: 'InvalidParameterException',
      message: 'All attributes in AttributesRequireVerificationBeforeUpdate must exist in AutoVerifiedAttributes',
    });
    assert.equal((await describePool(p.Id!)).DeletionProtection, 'ACTIVE', 'a refused update changes nothing');

    await idp.send(new UpdateUserPoolCommand({ UserPoolId: p.Id, AutoVerifiedAttributes: ['email'], PoolName: 'renamed' }));
    const u = await describePool(p.Id!);
    assert.equal(u.Name, 'renamed');
    assert.equal(u.LastModifiedDate!.getTime() - u.CreationDate!.getTime(), 60_000);
    assert.equal(u.CreationDate!.getTime(), p.CreationDate!.getTime());
    // Back to defaults.
    assert.deepEqual(u.LambdaConfig, {});
    assert.equal(u.Policies!.PasswordPolicy!.MinimumLength, 8);
    assert.equal(u.Policies!.PasswordPolicy!.RequireSymbols, true);
    assert.equal(u.MfaConfiguration, 'OFF');
    assert.equal(u.SmsConfiguration, undefined);
    assert.equal(u.DeviceConfiguration, undefined);
    assert.equal(u.EmailVerificationMessage, undefined);
    assert.deepEqual(u.VerificationMessageTemplate, { DefaultEmailOption: 'CONFIRM_WITH_CODE' });
    // Kept.
    assert.deepEqual(u.UsernameAttributes, ['email']);
    assert.deepEqual(u.UsernameConfiguration, { CaseSensitive: false });
    assert.deepEqual(u.SchemaAttributes, p.SchemaAttributes);
    assert.deepEqual(u.UserAttributeUpdateSettings, { AttributesRequireVerificationBeforeUpdate: ['email'] });
    assert.equal(u.DeletionProtection, 'ACTIVE');
    assert.deepEqual(u.UserPoolTags, { team: 'a' });
    assert.equal(u.UserPoolTier, 'PLUS');
    assert.deepEqual(u.AutoVerifiedAttributes, ['email']);

    const missing = await sdkError(idp.send(new UpdateUserPoolCommand({ UserPoolId: 'us-east-1_nothere00' })));
    assert.deepEqual(missing, { name: 'ResourceNotFoundException', message: 'User pool us-east-1_nothere00 does not exist.' });
  });

  test('usernames are case-insensitive unless UsernameConfiguration.CaseSensitive is true', async () => {
    const lookup = async (poolId: string, username: string) => {
      try {
        return (await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: username }))).Username;
      } catch (e) {
        return (e as Error).name;
      }
    };
    for (const [config, expected] of [
      [undefined, 'Alice'],
      [{ CaseSensitive: false }, 'Alice'],
      [{ CaseSensitive: true }, 'UserNotFoundException'],
    ] as const) {
      const p = await create(config ? { UsernameConfiguration: config } : {});
      await idp.send(new AdminCreateUserCommand({ UserPoolId: p.Id, Username: 'Alice', MessageAction: 'SUPPRESS' }));
      assert.equal(await lookup(p.Id!, 'Alice'), 'Alice');
      assert.equal(await lookup(p.Id!, 'aLICE'), expected, JSON.stringify(config));
    }
  });

  test('EstimatedNumberOfUsers counts the users of the pool, and only them', async () => {
    const a = await create({});
    const b = await create({});
    for (const username of ['ann', 'bob', 'cid']) {
      await idp.send(new AdminCreateUserCommand({ UserPoolId: a.Id, Username: username, MessageAction: 'SUPPRESS' }));
    }
    await idp.send(new AdminCreateUserCommand({ UserPoolId: b.Id, Username: 'dan', MessageAction: 'SUPPRESS' }));
    assert.equal((await describePool(a.Id!)).EstimatedNumberOfUsers, 3);
    assert.equal((await describePool(b.Id!)).EstimatedNumberOfUsers, 1);
  });
});
