import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  DescribeUserPoolCommand,
  ListTagsForResourceCommand,
  ListUserPoolsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateUserPoolCommand,
  paginateListUserPools,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';

describe('user pools over the AWS CLI', needs('aws'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('seed 000: create-user-pool with a password policy, auto-verified email and schema, in ap-northeast-1', async () => {
    const r = await aws(
      t.url,
      [
        'cognito-idp', 'create-user-pool', '--pool-name', 'MyUserPool',
        '--policies', '{"PasswordPolicy": {"MinimumLength": 8, "RequireUppercase": true, "RequireLowercase": true, "RequireNumbers": true, "RequireSymbols": false}}',
        '--auto-verified-attributes', 'email',
        '--schema', '[{"Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true}]',
        '--region', 'ap-northeast-1',
      ],
      'us-east-1',
    );
    assert.equal(r.code, 0, r.stderr);
    const pool = r.json.UserPool;
    assert.match(pool.Id, /^ap-northeast-1_[0-9a-zA-Z]{9}$/);
    assert.equal(pool.Name, 'MyUserPool');
    assert.equal(pool.Arn, `arn:aws:cognito-idp:ap-northeast-1:000000000000:userpool/${pool.Id}`);
    assert.deepEqual(pool.AutoVerifiedAttributes, ['email']);
    assert.equal(pool.Policies.PasswordPolicy.RequireSymbols, false);
    assert.equal(pool.Policies.PasswordPolicy.TemporaryPasswordValidityDays, 7);
    const email = pool.SchemaAttributes.find((a: any) => a.Name === 'email');
    assert.equal(email.Required, true);

    const listed = await aws(t.url, ['cognito-idp', 'list-user-pools', '--max-results', '10', '--region', 'ap-northeast-1']);
    assert.deepEqual(listed.json.UserPools.map((p: any) => p.Id), [pool.Id]);
    const other = await aws(t.url, ['cognito-idp', 'list-user-pools', '--max-results', '10', '--region', 'eu-west-1']);
    assert.deepEqual(other.json.UserPools, []);
  });

  test('seed 001: describe-user-pool shows the full default schema and defaults', async () => {
    const created = await aws(t.url, ['cognito-idp', 'create-user-pool', '--pool-name', 'Test user pool']);
    const id = created.json.UserPool.Id;
    const r = await aws(t.url, ['cognito-idp', 'describe-user-pool', '--user-pool-id', id]);
    assert.equal(r.code, 0, r.stderr);
    const p = r.json.UserPool;
    assert.deepEqual(p.AdminCreateUserConfig, { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 });
    assert.deepEqual(p.EmailConfiguration, { EmailSendingAccount: 'COGNITO_DEFAULT' });
    assert.equal(p.EstimatedNumberOfUsers, 0);
    assert.equal(p.MfaConfiguration, 'OFF');
    assert.deepEqual(p.LambdaConfig, {});
    assert.deepEqual(p.UserPoolTags, {});
    assert.deepEqual(p.VerificationMessageTemplate, { DefaultEmailOption: 'CONFIRM_WITH_CODE' });
    assert.deepEqual(p.Policies.PasswordPolicy, {
      MinimumLength: 8, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true,
      TemporaryPasswordValidityDays: 7,
    });
    assert.deepEqual(
      p.SchemaAttributes.map((a: any) => a.Name),
      ['sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
        'website', 'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number',
        'phone_number_verified', 'address', 'updated_at'],
    );
    assert.deepEqual(p.SchemaAttributes.find((a: any) => a.Name === 'birthdate').StringAttributeConstraints, { MinLength: '10', MaxLength: '10' });

    const del = await aws(t.url, ['cognito-idp', 'delete-user-pool', '--user-pool-id', id]);
    assert.equal(del.code, 0, del.stderr);
    const gone = await aws(t.url, ['cognito-idp', 'describe-user-pool', '--user-pool-id', id]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, new RegExp(`An error occurred \\(ResourceNotFoundException\\) when calling the DescribeUserPool operation: User pool ${id} does not exist.`));
  });
});

describe('every user pool operation over the AWS CLI v2', needs('aws'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  const cli = (...args: string[]) => aws(t.url, ['cognito-idp', ...args]);
  const cliError = async (op: string, ...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, 254, r.stdout);
    const m = r.stderr.match(new RegExp(`An error occurred \\((\\w+)\\) when calling the ${op} operation: (.*)`));
    assert.ok(m, r.stderr);
    return { name: m[1], message: m[2].trim() };
  };

  test('create-user-pool with custom attributes, username settings and deletion protection; describe echoes them', async () => {
    const r = await cli(
      'create-user-pool', '--pool-name', 'cli-pool',
      '--schema', 'Name=tenant,AttributeDataType=String,Mutable=false', 'Name=age,AttributeDataType=Number,NumberAttributeConstraints={MinValue=0,MaxValue=150}',
      'Name=email,AttributeDataType=String,Required=true',
      '--username-configuration', 'CaseSensitive=false',
      '--alias-attributes', 'email', 'preferred_username',
      '--auto-verified-attributes', 'email',
      '--user-attribute-update-settings', 'AttributesRequireVerificationBeforeUpdate=email',
      '--deletion-protection', 'ACTIVE',
      '--user-pool-tags', 'team=identity,env=test',
      '--admin-create-user-config', '{"AllowAdminCreateUserOnly": true, "InviteMessageTemplate": {"EmailSubject": "Welcome", "EmailMessage": "User {username} code {####}"}}',
      '--lambda-config', 'PreSignUp=arn:aws:lambda:us-east-1:123456789012:function:pre',
    );
    assert.equal(r.code, 0, r.stderr);
    const id = r.json.UserPool.Id;
    const p = (await cli('describe-user-pool', '--user-pool-id', id)).json.UserPool;
    const custom = p.SchemaAttributes.filter((a: any) => a.Name.startsWith('custom:'));
    assert.deepEqual(custom, [
      { Name: 'custom:tenant', AttributeDataType: 'String', DeveloperOnlyAttribute: false, Mutable: false, Required: false, StringAttributeConstraints: {} },
      {
        Name: 'custom:age', AttributeDataType: 'Number', DeveloperOnlyAttribute: false, Mutable: true, Required: false,
        NumberAttributeConstraints: { MinValue: '0', MaxValue: '150' },
      },
    ]);
    assert.equal(p.SchemaAttributes.find((a: any) => a.Name === 'email').Required, true);
    assert.deepEqual(p.UsernameConfiguration, { CaseSensitive: false });
    assert.deepEqual(p.AliasAttributes, ['email', 'preferred_username']);
    assert.deepEqual(p.UserAttributeUpdateSettings, { AttributesRequireVerificationBeforeUpdate: ['email'] });
    assert.equal(p.DeletionProtection, 'ACTIVE');
    assert.deepEqual(p.UserPoolTags, { team: 'identity', env: 'test' });
    assert.deepEqual(p.AdminCreateUserConfig, {
      AllowAdminCreateUserOnly: true, UnusedAccountValidityDays: 7,
      InviteMessageTemplate: { EmailSubject: 'Welcome', EmailMessage: 'User {username} code {####}' },
    });
    assert.deepEqual(p.LambdaConfig, { PreSignUp: 'arn:aws:lambda:us-east-1:123456789012:function:pre' });
    assert.match(p.CreationDate, /^\d{4}-\d\d-\d\dT/);

    // Deletion protection holds until update-user-pool switches it off.
    const refused = await cliError('DeleteUserPool', 'delete-user-pool', '--user-pool-id', id);
    assert.deepEqual(refused, {
      name: 'InvalidParameterException',
      message: 'The user pool cannot be deleted because deletion protection is activated. Deletion protection must be inactivated first.',
    });
    const updated = await cli(
      'update-user-pool', '--user-pool-id', id, '--deletion-protection', 'INACTIVE', '--auto-verified-attributes', 'email',
      '--policies', 'PasswordPolicy={MinimumLength=10,RequireNumbers=true}',
    );
    assert.equal(updated.code, 0, updated.stderr);
    const u = (await cli('describe-user-pool', '--user-pool-id', id)).json.UserPool;
    assert.equal(u.DeletionProtection, 'INACTIVE');
    assert.equal(u.Policies.PasswordPolicy.MinimumLength, 10);
    assert.equal(u.Policies.PasswordPolicy.RequireUppercase, false);
    assert.deepEqual(u.LambdaConfig, {}, 'left out, so back to the default');
    assert.deepEqual(u.AdminCreateUserConfig, { AllowAdminCreateUserOnly: false, UnusedAccountValidityDays: 7 });
    assert.deepEqual(u.UserPoolTags, { team: 'identity', env: 'test' });
    assert.deepEqual(u.SchemaAttributes, p.SchemaAttributes);
    assert.ok(Date.parse(u.LastModifiedDate) >= Date.parse(p.LastModifiedDate));
    const del = await cli('delete-user-pool', '--user-pool-id', id);
    assert.equal(del.code, 0, del.stderr);
  });

  test('create-user-pool errors: both username and alias attributes; a required custom attribute; a bad name', async () => {
    assert.deepEqual(await cliError('CreateUserPool', 'create-user-pool', '--pool-name', 'x', '--username-attributes', 'email', '--alias-attributes', 'email'), {
      name: 'InvalidParameterException',
      message: 'Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.',
    });
    assert.deepEqual(await cliError('CreateUserPool', 'create-user-pool', '--pool-name', 'x', '--schema', 'Name=must,AttributeDataType=String,Required=true'), {
      name: 'InvalidParameterException',
      message: 'Required custom attributes are not supported currently.',
    });
    const bad = await cliError('CreateUserPool', 'create-user-pool', '--pool-name', 'no/slashes');
    assert.equal(bad.name, 'InvalidParameterException');
    assert.match(bad.message, /Value 'no\/slashes' at 'poolName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  test('list-user-pools pages with --max-results and --next-token, per region; a bad token is refused', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await aws(t.url, ['cognito-idp', 'create-user-pool', '--pool-name', `paged-${i}`, '--region', 'eu-central-1'])).json.UserPool.Id);
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await aws(t.url, ['cognito-idp', 'list-user-pools', '--max-results', '2', '--region', 'eu-central-1', ...(token ? ['--next-token', token] : [])]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.json.UserPools.length <= 2);
      for (const p of r.json.UserPools) {
        assert.deepEqual(Object.keys(p).sort(), ['CreationDate', 'Id', 'LambdaConfig', 'LastModifiedDate', 'Name']);
        seen.push(p.Id);
      }
      token = r.json.NextToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(seen.sort(), ids.sort());
    // us-east-1 sees none of them.
    const home = await cli('list-user-pools', '--max-results', '60');
    assert.ok(home.json.UserPools.every((p: any) => p.Id.startsWith('us-east-1_')));

    assert.deepEqual(await cliError('ListUserPools', 'list-user-pools', '--max-results', '10', '--next-token', 'garbage'), {
      name: 'InvalidParameterException',
      message: 'The pagination token is not valid.',
    });
    const tooMany = await cliError('ListUserPools', 'list-user-pools', '--max-results', '61');
    assert.equal(
      tooMany.message,
      "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60",
    );
  });

  test('add-custom-attributes adds, then refuses a duplicate and an unknown pool', async () => {
    const id = (await cli('create-user-pool', '--pool-name', 'attrs')).json.UserPool.Id;
    const r = await cli('add-custom-attributes', '--user-pool-id', id, '--custom-attributes', 'Name=plan,AttributeDataType=String,StringAttributeConstraints={MaxLength=16}');
    assert.equal(r.code, 0, r.stderr);
    const p = (await cli('describe-user-pool', '--user-pool-id', id)).json.UserPool;
    assert.deepEqual(p.SchemaAttributes.at(-1), {
      Name: 'custom:plan', AttributeDataType: 'String', DeveloperOnlyAttribute: false, Mutable: true, Required: false,
      StringAttributeConstraints: { MaxLength: '16' },
    });
    assert.deepEqual(await cliError('AddCustomAttributes', 'add-custom-attributes', '--user-pool-id', id, '--custom-attributes', 'Name=plan,AttributeDataType=Number'), {
      name: 'InvalidParameterException',
      message: 'custom:plan: Existing attribute already has name custom:plan.',
    });
    assert.deepEqual(
      await cliError('AddCustomAttributes', 'add-custom-attributes', '--user-pool-id', 'us-east-1_nothere00', '--custom-attributes', 'Name=x,AttributeDataType=String'),
      { name: 'ResourceNotFoundException', message: 'User pool us-east-1_nothere00 does not exist.' },
    );
  });

  test('tag-resource, untag-resource and list-tags-for-resource on a pool ARN', async () => {
    const created = (await cli('create-user-pool', '--pool-name', 'tagged', '--user-pool-tags', 'keep=1')).json.UserPool;
    const arn = created.Arn;
    let r = await cli('tag-resource', '--resource-arn', arn, '--tags', 'team=identity,env=dev');
    assert.equal(r.code, 0, r.stderr);
    r = await cli('list-tags-for-resource', '--resource-arn', arn);
    assert.deepEqual(r.json.Tags, { keep: '1', team: 'identity', env: 'dev' });
    r = await cli('untag-resource', '--resource-arn', arn, '--tag-keys', 'env', 'nothing');
    assert.equal(r.code, 0, r.stderr);
    r = await cli('list-tags-for-resource', '--resource-arn', arn);
    assert.deepEqual(r.json.Tags, { keep: '1', team: 'identity' });
    assert.deepEqual((await cli('describe-user-pool', '--user-pool-id', created.Id)).json.UserPool.UserPoolTags, { keep: '1', team: 'identity' });

    const otherAccount = arn.replace(':000000000000:', ':111111111111:');
    const otherRegion = arn.replace(':us-east-1:', ':eu-west-1:');
    for (const bad of [otherAccount, otherRegion]) {
      assert.deepEqual(await cliError('ListTagsForResource', 'list-tags-for-resource', '--resource-arn', bad), {
        name: 'ResourceNotFoundException',
        message: `User pool ${created.Id} does not exist.`,
      });
    }
    const notPool = await cliError('TagResource', 'tag-resource', '--resource-arn', 'arn:aws:s3:us-east-1:000000000000:bucket/x', '--tags', 'a=b');
    assert.equal(notPool.name, 'InvalidParameterException');
    const garbage = await cliError('ListTagsForResource', 'list-tags-for-resource', '--resource-arn', 'not-an-arn-at-all-here');
    assert.equal(garbage.name, 'InvalidParameterException');
    assert.match(garbage.message, /at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });
});

describe('every user pool operation over the JS SDK v3', () => {
  let t: Running;
  let idp: CognitoIdentityProviderClient;
  before(async () => {
    t = await startTestServer();
    idp = idpClient(t.url, 'ap-northeast-1');
  });
  after(() => t.close());

  test('create, describe, list with pagination, update, tag, delete; the region comes from the signature', async () => {
    const created = (await idp.send(new CreateUserPoolCommand({ PoolName: 'sdk-pool', UserPoolTags: { a: '1' } }))).UserPool!;
    assert.match(created.Id!, /^ap-northeast-1_[0-9a-zA-Z]{9}$/);
    assert.equal(created.Arn, `arn:aws:cognito-idp:ap-northeast-1:000000000000:userpool/${created.Id}`);
    assert.ok(created.CreationDate instanceof Date);
    const described = (await idp.send(new DescribeUserPoolCommand({ UserPoolId: created.Id }))).UserPool!;
    assert.deepEqual(described, created);

    for (let i = 0; i < 4; i++) await idp.send(new CreateUserPoolCommand({ PoolName: `sdk-${i}` }));
    const names: string[] = [];
    for await (const page of paginateListUserPools({ client: idp, pageSize: 2 }, { MaxResults: 2 })) {
      assert.ok(page.UserPools!.length <= 2);
      names.push(...page.UserPools!.map((p) => p.Name!));
    }
    assert.deepEqual(names.sort(), ['sdk-0', 'sdk-1', 'sdk-2', 'sdk-3', 'sdk-pool']);
    assert.deepEqual(await sdkError(idp.send(new ListUserPoolsCommand({ MaxResults: 10, NextToken: 'bm90LWpzb24' }))), {
      name: 'InvalidParameterException',
      message: 'The pagination token is not valid.',
    });

    await idp.send(new UpdateUserPoolCommand({ UserPoolId: created.Id, MfaConfiguration: 'OFF', AutoVerifiedAttributes: ['email'] }));
    assert.deepEqual((await idp.send(new DescribeUserPoolCommand({ UserPoolId: created.Id }))).UserPool!.AutoVerifiedAttributes, ['email']);

    await idp.send(new TagResourceCommand({ ResourceArn: created.Arn, Tags: { b: '2' } }));
    await idp.send(new UntagResourceCommand({ ResourceArn: created.Arn, TagKeys: ['a'] }));
    assert.deepEqual((await idp.send(new ListTagsForResourceCommand({ ResourceArn: created.Arn }))).Tags, { b: '2' });
    const tooMany = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    const e = await sdkError(idp.send(new TagResourceCommand({ ResourceArn: created.Arn, Tags: tooMany })));
    assert.equal(e.name, 'InvalidParameterException');
    assert.deepEqual((await idp.send(new ListTagsForResourceCommand({ ResourceArn: created.Arn }))).Tags, { b: '2' });

    await idp.send(new DeleteUserPoolCommand({ UserPoolId: created.Id }));
    assert.deepEqual(await sdkError(idp.send(new DescribeUserPoolCommand({ UserPoolId: created.Id }))), {
      name: 'ResourceNotFoundException',
      message: `User pool ${created.Id} does not exist.`,
    });
    assert.deepEqual(await sdkError(idp.send(new DeleteUserPoolCommand({ UserPoolId: created.Id }))), {
      name: 'ResourceNotFoundException',
      message: `User pool ${created.Id} does not exist.`,
    });
    assert.deepEqual(await sdkError(idp.send(new ListTagsForResourceCommand({ ResourceArn: created.Arn }))), {
      name: 'ResourceNotFoundException',
      message: `User pool ${created.Id} does not exist.`,
    });
  });

  test('DeleteUserPool is refused while DeletionProtection is ACTIVE', async () => {
    const p = (await idp.send(new CreateUserPoolCommand({ PoolName: 'guarded', DeletionProtection: 'ACTIVE' }))).UserPool!;
    const e = await sdkError(idp.send(new DeleteUserPoolCommand({ UserPoolId: p.Id })));
    assert.equal(e.name, 'InvalidParameterException');
    assert.match(e.message, /deletion protection is activated/);
    await idp.send(new UpdateUserPoolCommand({ UserPoolId: p.Id, DeletionProtection: 'INACTIVE' }));
    await idp.send(new DeleteUserPoolCommand({ UserPoolId: p.Id }));
  });
});
