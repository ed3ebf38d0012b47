import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import {
  AddCustomAttributesCommand,
  CreateUserPoolCommand,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { aws, idpClient, rawCall, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';
import type { Running } from '../src/tobira.ts';
import { OPERATIONS as IDP_OPERATIONS } from '../src/generated/cognito-idp.ts';
import { OPERATIONS as IDENTITY_OPERATIONS } from '../src/generated/cognito-identity.ts';
import { handlers, identityHandlers } from '../src/api/index.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the wire', () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  const poolCount = async () => (await rawCall(t.url, 'ListUserPools', { MaxResults: 60 })).json.UserPools.length;

  test('errors carry __type, message, x-amzn-ErrorType, x-amzn-ErrorMessage, a request id and status 400', async () => {
    const r = await rawCall(t.url, 'DescribeUserPool', { UserPoolId: 'us-east-1_nothere12' });
    assert.equal(r.status, 400);
    assert.match(r.headers.get('content-type')!, /^application\/x-amz-json-1\.1\b/);
    assert.equal(r.headers.get('x-amzn-errortype'), 'ResourceNotFoundException:');
    assert.equal(r.headers.get('x-amzn-errormessage'), 'User pool us-east-1_nothere12 does not exist.');
    assert.match(r.headers.get('x-amzn-requestid')!, UUID);
    assert.deepEqual(r.json, { __type: 'ResourceNotFoundException', message: 'User pool us-east-1_nothere12 does not exist.' });
  });

  test('a success carries its own request id, and the JS SDK reads it and the error class', async () => {
    const a = await rawCall(t.url, 'ListUserPools', { MaxResults: 1 });
    const b = await rawCall(t.url, 'ListUserPools', { MaxResults: 1 });
    assert.equal(a.status, 200);
    assert.match(a.headers.get('x-amzn-requestid')!, UUID);
    assert.notEqual(a.headers.get('x-amzn-requestid'), b.headers.get('x-amzn-requestid'));

    const idp = idpClient(t.url);
    const ok = await idp.send(new ListUserPoolsCommand({ MaxResults: 5 }));
    assert.match(ok.$metadata.requestId!, UUID);
    await assert.rejects(idp.send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_nothere12' })), (err: unknown) => {
      assert.ok(err instanceof ResourceNotFoundException);
      assert.equal(err.message, 'User pool us-east-1_nothere12 does not exist.');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.match(err.$metadata.requestId!, UUID);
      return true;
    });
  });

  test('boto3 parses the error code and the request id', needs('boto3'), async () => {
    const script = `
import boto3, botocore, json, sys
c = boto3.client('cognito-idp', endpoint_url=sys.argv[1], region_name='us-east-1',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='x')
out = {}
try:
    c.describe_user_pool(UserPoolId='us-east-1_nothere12')
except botocore.exceptions.ClientError as e:
    out = {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'],
           'status': e.response['ResponseMetadata']['HTTPStatusCode'],
           'requestId': e.response['ResponseMetadata']['RequestId'],
           'isClass': isinstance(e, c.exceptions.ResourceNotFoundException)}
print(json.dumps(out))
`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, ['-c', script, t.url], { timeout: 60_000 }, (err, out, errText) => (err ? reject(new Error(errText)) : resolve(out))),
    );
    const r = JSON.parse(stdout);
    assert.equal(r.code, 'ResourceNotFoundException');
    assert.equal(r.message, 'User pool us-east-1_nothere12 does not exist.');
    assert.equal(r.status, 400);
    assert.match(r.requestId, UUID);
    assert.equal(r.isClass, true);
  });

  test('malformed JSON, a body that is not an object, and a wrongly typed member are SerializationExceptions', async () => {
    for (const body of ['{"UserPoolId": ', 'nonsense', '[]', '"a string"', '42', 'null']) {
      const r = await rawCall(t.url, 'DescribeUserPool', body);
      assert.equal(r.status, 400, body);
      assert.equal(r.json.__type, 'SerializationException', body);
      assert.equal(r.headers.get('x-amzn-errortype'), 'SerializationException:');
    }
    for (const body of [{ MaxResults: 'ten' }, { MaxResults: 1.5 }, { MaxResults: 10, NextToken: 7 }]) {
      const r = await rawCall(t.url, 'ListUserPools', body);
      assert.equal(r.json.__type, 'SerializationException', JSON.stringify(body));
    }
    const r = await rawCall(t.url, 'CreateUserPool', { PoolName: 'x', Schema: { Name: 'not-a-list' } });
    assert.equal(r.json.__type, 'SerializationException');
  });

  test('an empty body is an empty input, as the SDKs send it', async () => {
    const r = await rawCall(t.url, 'DescribeUserPool', '');
    assert.equal(r.json.__type, 'InvalidParameterException');
    assert.match(r.json.message, /Value null at 'userPoolId'/);
  });

  test('an unknown or missing X-Amz-Target is an UnknownOperationException', async () => {
    let r = await rawCall(t.url, 'MakeCoffee', {});
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, 'UnknownOperationException');
    r = await rawCall(t.url, 'ListUserPools', { MaxResults: 1 }, { 'x-amz-target': 'AWSCognitoIdentityService.ListUserPools' });
    assert.equal(r.json.__type, 'UnknownOperationException');
    const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).__type, 'UnknownOperationException');
  });

  test('Content-Type application/json is accepted as well', async () => {
    const r = await rawCall(t.url, 'ListUserPools', { MaxResults: 2 }, { 'content-type': 'application/json' });
    assert.equal(r.status, 200);
    assert.ok(Array.isArray(r.json.UserPools));
  });

  test('a body over the size limit is answered with a Cognito error, promptly', async () => {
    const before = await poolCount();
    const started = Date.now();
    const big = JSON.stringify({ PoolName: 'huge', UserPoolTags: { k: 'v'.repeat(256) }, Padding: 'x'.repeat(2 * 1024 * 1024) });
    const r = await rawCall(t.url, 'CreateUserPool', big);
    assert.ok(Date.now() - started < 10_000);
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, 'InvalidParameterException');
    assert.equal(typeof r.json.message, 'string');
    assert.equal(await poolCount(), before);
  });

  test('OPTIONS pre-flight allows what amazon-cognito-identity-js sends from a browser', async () => {
    const res = await fetch(t.url, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://localhost:3000',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,x-amz-target,x-amz-user-agent,cache-control',
      },
    });
    assert.ok(res.status === 200 || res.status === 204, String(res.status));
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-methods')!, /POST/);
    const allowed = res.headers.get('access-control-allow-headers')!.toLowerCase().split(',').map((h) => h.trim());
    for (const h of ['content-type', 'x-amz-target', 'x-amz-user-agent', 'cache-control']) assert.ok(allowed.includes(h), h);
    // The answer to the POST itself lets the page read the request id and error type.
    const r = await rawCall(t.url, 'DescribeUserPool', { UserPoolId: 'us-east-1_nothere12' }, { origin: 'http://localhost:3000' });
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.match(r.headers.get('access-control-expose-headers')!, /x-amzn-RequestId/i);
    assert.match(r.headers.get('access-control-expose-headers')!, /x-amzn-ErrorType/i);
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
  });

  test('a string with U+0000 is refused with InvalidParameterException, on every store alike', async () => {
    const r = await rawCall(t.url, 'CreateUserPool', { PoolName: 'nul', UserPoolTags: { team: 'a\u0000b' } });
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, 'InvalidParameterException');
    assert.match(
      r.json.message,
      /^1 validation error detected: Value '.*' at 'userPoolTags' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 256, Member must have length greater than or equal to 0, Member must not contain the null character U\+0000\]$/s,
    );
  });

  test('a map with a bad value is one problem of the map, naming every constraint of its values, as AWS words it', async () => {
    const r = await rawCall(t.url, 'CreateUserPool', { PoolName: 'tags', UserPoolTags: { team: 'x'.repeat(257), other: 'y'.repeat(300) } });
    assert.match(
      r.json.message,
      /^1 validation error detected: Value '\{team=x+\.\.\.' at 'userPoolTags' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 256, Member must have length greater than or equal to 0\]$/,
    );
    const key = await rawCall(t.url, 'CreateUserPool', { PoolName: 'tags', UserPoolTags: { '': 'v' } });
    assert.equal(
      key.json.message,
      "1 validation error detected: Value '{=v}' at 'userPoolTags' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]",
    );
  });

  test('two problems give "2 validation errors detected: ...; ..."', async () => {
    const r = await rawCall(t.url, 'ListUserPools', { MaxResults: 0, NextToken: ' ' });
    assert.equal(r.json.__type, 'InvalidParameterException');
    assert.equal(
      r.json.message,
      "2 validation errors detected: Value ' ' at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\S]+; " +
        "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  test("a sensitive member's value is left out of the message", async () => {
    const r = await rawCall(t.url, 'AdminGetUser', { UserPoolId: 'us-east-1_abcdefghi', Username: 'secret value' });
    assert.equal(r.json.__type, 'InvalidParameterException');
    assert.equal(
      r.json.message,
      "1 validation error detected: Value at 'username' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+",
    );
    assert.doesNotMatch(r.text, /secret value/);
    assert.doesNotMatch(r.headers.get('x-amzn-errormessage') ?? '', /secret value/);
  });

  test('__proto__ and constructor keys in a body pollute nothing and are not stored', async () => {
    const body =
      '{"PoolName":"proto","__proto__":{"polluted":"yes","DeletionProtection":"ACTIVE"},' +
      '"constructor":{"prototype":{"polluted":"yes"}},"UserPoolTags":{"__proto__":{"polluted":"yes"},"team":"a"}}';
    const r = await rawCall(t.url, 'CreateUserPool', body);
    assert.equal(r.status, 200, r.text);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((Object.prototype as Record<string, unknown>).polluted, undefined);
    const p = (await rawCall(t.url, 'DescribeUserPool', { UserPoolId: r.json.UserPool.Id })).json.UserPool;
    assert.equal(p.DeletionProtection, 'INACTIVE');
    assert.deepEqual(p.UserPoolTags, { team: 'a' });
    assert.equal(p.polluted, undefined);
  });

  test('a failed request changes no stored data', async () => {
    const before = await poolCount();
    // Refused at validation, in the domain before the write, and in the middle of a write.
    await rawCall(t.url, 'CreateUserPool', { PoolName: 'bad name!' });
    await rawCall(t.url, 'CreateUserPool', { PoolName: 'bad', Schema: [{ Name: 'x' }] });
    await rawCall(t.url, 'CreateUserPool', { PoolName: 'bad', UsernameAttributes: ['email'], AliasAttributes: ['email'] });
    assert.equal(await poolCount(), before);

    const idp = idpClient(t.url);
    const pool = (await idp.send(new CreateUserPoolCommand({ PoolName: 'atomic' }))).UserPool!;
    const batch = [
      { Name: 'one', AttributeDataType: 'String' as const },
      { Name: 'two', AttributeDataType: 'String' as const },
      { Name: 'one', AttributeDataType: 'Number' as const },
    ];
    await assert.rejects(idp.send(new AddCustomAttributesCommand({ UserPoolId: pool.Id, CustomAttributes: batch })), /Existing attribute/);
    const after = (await idp.send(new DescribeUserPoolCommand({ UserPoolId: pool.Id }))).UserPool!;
    assert.deepEqual(after.SchemaAttributes, pool.SchemaAttributes);
    assert.equal(after.LastModifiedDate!.getTime(), pool.LastModifiedDate!.getTime());
  });

  test('every operation of both models has a handler (a model regenerated with new ones answers 400 "not supported yet" for them)', () => {
    assert.deepEqual(Object.keys(IDP_OPERATIONS).filter((op) => !Object.hasOwn(handlers, op)), []);
    assert.deepEqual(Object.keys(IDENTITY_OPERATIONS).filter((op) => !Object.hasOwn(identityHandlers, op)), []);
  });

  test('the AWS CLI prints the error as AWS does, with exit status 254', needs('aws'), async () => {
    const r = await aws(t.url, ['cognito-idp', 'describe-user-pool', '--user-pool-id', 'us-east-1_nothere12']);
    assert.equal(r.code, 254);
    assert.match(
      r.stderr,
      /An error occurred \(ResourceNotFoundException\) when calling the DescribeUserPool operation: User pool us-east-1_nothere12 does not exist\./,
    );
  });
});
