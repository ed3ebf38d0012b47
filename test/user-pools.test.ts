import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { aws, rawCall, startTestServer } from './helpers/tobira.ts';
import type { Running } from '../src/tobira.ts';

describe('user pools over the AWS CLI', () => {
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

describe('the wire', () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('errors carry __type, message, x-amzn-ErrorType and status 400', async () => {
    const r = await rawCall(t.url, 'DescribeUserPool', { UserPoolId: 'us-east-1_nothere12' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-amzn-errortype'), 'ResourceNotFoundException:');
    assert.deepEqual(r.json, { __type: 'ResourceNotFoundException', message: 'User pool us-east-1_nothere12 does not exist.' });
  });

  test('malformed JSON is a SerializationException', async () => {
    const r = await rawCall(t.url, 'DescribeUserPool', '{"UserPoolId": ');
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, 'SerializationException');
  });

  test('an unknown target is an UnknownOperationException', async () => {
    const r = await rawCall(t.url, 'MakeCoffee', {});
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, 'UnknownOperationException');
  });

  test('a missing required member, a bad pattern and a bad enum are named like AWS names them', async () => {
    let r = await rawCall(t.url, 'DescribeUserPool', {});
    assert.equal(r.json.__type, 'InvalidParameterException');
    assert.equal(r.json.message, "1 validation error detected: Value null at 'userPoolId' failed to satisfy constraint: Member must not be null");
    r = await rawCall(t.url, 'DescribeUserPool', { UserPoolId: 'YOUR_USER_POOL_ID!' });
    assert.equal(
      r.json.message,
      "1 validation error detected: Value 'YOUR_USER_POOL_ID!' at 'userPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+",
    );
    r = await rawCall(t.url, 'CreateUserPool', { PoolName: 'x', MfaConfiguration: 'MAYBE' });
    assert.match(r.json.message, /Value 'MAYBE' at 'mfaConfiguration' failed to satisfy constraint: Member must satisfy enum value set: \[OFF, ON, OPTIONAL\]/);
    r = await rawCall(t.url, 'ListUserPools', { MaxResults: 'ten' });
    assert.equal(r.json.__type, 'SerializationException');
  });

  test('a model operation not built yet says so with 400, not 500', async () => {
    const r = await rawCall(t.url, 'StartUserImportJob', { UserPoolId: 'us-east-1_abc', JobId: 'import-abc' });
    assert.equal(r.status, 400);
    assert.match(r.json.message, /Tobira does not support the StartUserImportJob operation yet/);
  });

  test('deletion protection refuses DeleteUserPool until it is switched off', async () => {
    const c = await rawCall(t.url, 'CreateUserPool', { PoolName: 'guarded', DeletionProtection: 'ACTIVE' });
    const id = c.json.UserPool.Id;
    let r = await rawCall(t.url, 'DeleteUserPool', { UserPoolId: id });
    assert.equal(r.json.__type, 'InvalidParameterException');
    assert.match(r.json.message, /deletion protection is activated/);
    r = await rawCall(t.url, 'UpdateUserPool', { UserPoolId: id, DeletionProtection: 'INACTIVE' });
    assert.equal(r.status, 200);
    r = await rawCall(t.url, 'DeleteUserPool', { UserPoolId: id });
    assert.equal(r.status, 200);
  });
});
