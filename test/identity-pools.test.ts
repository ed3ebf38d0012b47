import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { Running } from '../src/tobira.ts';
import { aws, rawCall, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';

/**
 * Seed 003's command (the CLI helper adds --endpoint-url), with its placeholders for the user
 * pool and app client filled in as a reader fills them in. The placeholder client id itself,
 * "your-app-client-id", breaks the model's `[\w_]+` and AWS refuses it (asserted below).
 */
const seed003 = (clientId: string) => [
  'cognito-identity', 'create-identity-pool',
  '--identity-pool-name', 'app-identity-pool',
  '--allow-unauthenticated-identities',
  '--cognito-identity-providers', `[{"ProviderName": "cognito-idp.us-east-1.amazonaws.com/us-east-1_ABC123", "ClientId": "${clientId}", "ServerSideTokenCheck": true}]`,
];
const CLIENT_ID = '1example23456789abcdefghij';
const SEED_003 = seed003(CLIENT_ID);
const PROVIDER = 'cognito-idp.us-east-1.amazonaws.com/us-east-1_ABC123';
const ROLE = 'arn:aws:iam::000000000000:role/app-authenticated';

/** Runs a boto3 script with `c = boto3.client('cognito-identity', ...)`; `err(fn)` gives [code, message]. */
function boto3(url: string, body: string, region = 'us-east-1'): Promise<any> {
  const script = `import boto3, json, sys
from botocore.config import Config
from botocore.exceptions import ClientError
# No client-side checks, so that the server's answers to bad values are seen.
c = boto3.client('cognito-identity', endpoint_url=sys.argv[1], region_name='${region}',
                 aws_access_key_id='AKIDTOBIRATEST', aws_secret_access_key='tobira-test-secret',
                 config=Config(parameter_validation=False))
def err(fn):
    try:
        fn()
        return None
    except ClientError as e:
        return [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
out = {}
${body}
print(json.dumps(out))`;
  return new Promise((resolve, reject) =>
    execFile(PYTHON, ['-c', script, url], { encoding: 'utf8', timeout: 60_000 }, (e, stdout, stderr) =>
      e ? reject(new Error(`${e.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    ),
  );
}

describe('identity pools with the AWS CLI: seed 003 and the administrative operations', needs('aws'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test("seed 003's create-identity-pool, then describe, list, update, roles and delete", async () => {
    const placeholder = await aws(t.url, seed003('your-app-client-id'));
    assert.notEqual(placeholder.code, 0);
    assert.match(placeholder.stderr, /ValidationException.*clientId.*failed to satisfy constraint: Member must satisfy regular expression pattern/s);

    const made = await aws(t.url, SEED_003);
    assert.equal(made.code, 0, made.stderr);
    const id: string = made.json.IdentityPoolId;
    assert.match(id, /^us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(made.json, {
      IdentityPoolId: id,
      IdentityPoolName: 'app-identity-pool',
      AllowUnauthenticatedIdentities: true,
      AllowClassicFlow: false,
      CognitoIdentityProviders: [{ ProviderName: PROVIDER, ClientId: CLIENT_ID, ServerSideTokenCheck: true }],
      IdentityPoolTags: {},
    });

    const described = await aws(t.url, ['cognito-identity', 'describe-identity-pool', '--identity-pool-id', id]);
    assert.equal(described.code, 0, described.stderr);
    assert.deepEqual(described.json, made.json);

    const listed = await aws(t.url, ['cognito-identity', 'list-identity-pools', '--max-results', '10']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(listed.json.IdentityPools, [{ IdentityPoolId: id, IdentityPoolName: 'app-identity-pool' }]);

    const updated = await aws(t.url, [
      'cognito-identity', 'update-identity-pool', '--identity-pool-id', id, '--identity-pool-name', 'app identity pool',
      '--no-allow-unauthenticated-identities', '--supported-login-providers', 'accounts.google.com=123.apps.googleusercontent.com',
    ]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.equal(updated.json.IdentityPoolName, 'app identity pool');
    assert.equal(updated.json.AllowUnauthenticatedIdentities, false);
    assert.deepEqual(updated.json.SupportedLoginProviders, { 'accounts.google.com': '123.apps.googleusercontent.com' });
    assert.equal(updated.json.CognitoIdentityProviders, undefined, 'the update describes the whole pool: providers left out are gone');
    const again = await aws(t.url, ['cognito-identity', 'describe-identity-pool', '--identity-pool-id', id]);
    assert.deepEqual(again.json, updated.json);

    const set = await aws(t.url, [
      'cognito-identity', 'set-identity-pool-roles', '--identity-pool-id', id,
      '--roles', `authenticated=${ROLE}`,
      '--role-mappings', JSON.stringify({ 'accounts.google.com': { Type: 'Rules', AmbiguousRoleResolution: 'Deny', RulesConfiguration: { Rules: [{ Claim: 'hd', MatchType: 'Equals', Value: 'example.com', RoleARN: ROLE }] } } }),
    ]);
    assert.equal(set.code, 0, set.stderr);
    const roles = await aws(t.url, ['cognito-identity', 'get-identity-pool-roles', '--identity-pool-id', id]);
    assert.equal(roles.code, 0, roles.stderr);
    assert.deepEqual(roles.json, {
      IdentityPoolId: id,
      Roles: { authenticated: ROLE },
      RoleMappings: { 'accounts.google.com': { Type: 'Rules', AmbiguousRoleResolution: 'Deny', RulesConfiguration: { Rules: [{ Claim: 'hd', MatchType: 'Equals', Value: 'example.com', RoleARN: ROLE }] } } },
    });

    const deleted = await aws(t.url, ['cognito-identity', 'delete-identity-pool', '--identity-pool-id', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = await aws(t.url, ['cognito-identity', 'describe-identity-pool', '--identity-pool-id', id]);
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, new RegExp(`\\(ResourceNotFoundException\\) when calling the DescribeIdentityPool operation: IdentityPool '${id}' not found\\.`));
  });

  test('the region of the signature makes the id, and lists are per region', async () => {
    const made = await aws(t.url, SEED_003, 'eu-west-1');
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.json.IdentityPoolId, /^eu-west-1:/);
    const there = await aws(t.url, ['cognito-identity', 'list-identity-pools', '--max-results', '60'], 'eu-west-1');
    assert.deepEqual(there.json.IdentityPools.map((p: any) => p.IdentityPoolId), [made.json.IdentityPoolId]);
    const here = await aws(t.url, ['cognito-identity', 'list-identity-pools', '--max-results', '60']);
    assert.ok(!here.json.IdentityPools.some((p: any) => p.IdentityPoolId === made.json.IdentityPoolId));
  });

  test('GetId and GetCredentialsForIdentity are served; an unknown identity is not found; unknown operations are refused', async () => {
    const made = await aws(t.url, SEED_003);
    // Issued since issue 14 (identities: test/identities.test.ts; credentials: test/identity-credentials.test.ts).
    const getId = await aws(t.url, ['cognito-identity', 'get-id', '--identity-pool-id', made.json.IdentityPoolId]);
    assert.equal(getId.code, 0, getId.stderr);
    assert.match(getId.json.IdentityId, /^us-east-1:/);
    const creds = await aws(t.url, ['cognito-identity', 'get-credentials-for-identity', '--identity-id', 'us-east-1:11a86fa8-fc2c-46da-a38b-e46762e447ed']);
    assert.match(creds.stderr, /\(ResourceNotFoundException\) when calling the GetCredentialsForIdentity operation/);
    const unknown = await rawCall(t.url, 'Nope', {}, { 'x-amz-target': 'AWSCognitoIdentityService.Nope' });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.json, { __type: 'UnknownOperationException', message: 'Unknown operation: AWSCognitoIdentityService.Nope' });
  });
});

describe('identity pools with boto3: errors, paging and tags', needs('boto3'), () => {
  let t: Running;
  before(async () => {
    t = await startTestServer();
  });
  after(() => t.close());

  test('refusals carry Cognito identity\'s codes and texts', async () => {
    const out = await boto3(t.url, `
ok = c.create_identity_pool(IdentityPoolName='errors', AllowUnauthenticatedIdentities=False,
    CognitoIdentityProviders=[{'ProviderName': '${PROVIDER}', 'ClientId': 'abc123'}])
pid = ok['IdentityPoolId']
out['pid'] = pid
out['defaults'] = ok['CognitoIdentityProviders']
out['unknown'] = err(lambda: c.describe_identity_pool(IdentityPoolId='us-east-1:00000000-0000-4000-8000-000000000000'))
out['deleteUnknown'] = err(lambda: c.delete_identity_pool(IdentityPoolId='us-east-1:00000000-0000-4000-8000-000000000000'))
out['badName'] = err(lambda: c.create_identity_pool(IdentityPoolName='no/slash', AllowUnauthenticatedIdentities=True))
out['badProvider'] = err(lambda: c.create_identity_pool(IdentityPoolName='p', AllowUnauthenticatedIdentities=True,
    CognitoIdentityProviders=[{'ProviderName': 'us-east-1_ABC123', 'ClientId': 'abc'}]))
out['noClient'] = err(lambda: c.create_identity_pool(IdentityPoolName='p', AllowUnauthenticatedIdentities=True,
    CognitoIdentityProviders=[{'ProviderName': '${PROVIDER}'}]))
out['maxZero'] = err(lambda: c.list_identity_pools(MaxResults=0))
out['maxBig'] = err(lambda: c.list_identity_pools(MaxResults=61))
out['badToken'] = err(lambda: c.list_identity_pools(MaxResults=5, NextToken='nonsense'))
out['roleNotArn'] = err(lambda: c.set_identity_pool_roles(IdentityPoolId=pid, Roles={'authenticated': 'my-stack-SomeRole-KBKHTR8P6UC2'}))
out['mappingKey'] = err(lambda: c.set_identity_pool_roles(IdentityPoolId=pid, Roles={'authenticated': '${ROLE}'},
    RoleMappings={'https://${PROVIDER}': {'Type': 'Token', 'AmbiguousRoleResolution': 'Deny'}}))
out['mappingOk'] = err(lambda: c.set_identity_pool_roles(IdentityPoolId=pid, Roles={'authenticated': '${ROLE}'},
    RoleMappings={'${PROVIDER}:abc123': {'Type': 'Token', 'AmbiguousRoleResolution': 'AuthenticatedRole'}}))
out['rolesUnknown'] = err(lambda: c.get_identity_pool_roles(IdentityPoolId='us-east-1:00000000-0000-4000-8000-000000000000'))
`);
    assert.deepEqual(out.defaults, [{ ProviderName: PROVIDER, ClientId: 'abc123', ServerSideTokenCheck: false }]);
    const notFound = ['ResourceNotFoundException', "IdentityPool 'us-east-1:00000000-0000-4000-8000-000000000000' not found.", 400];
    assert.deepEqual(out.unknown, notFound);
    assert.deepEqual(out.deleteUnknown, notFound);
    assert.deepEqual(out.rolesUnknown, notFound);
    assert.deepEqual(out.badName, ['ValidationException', "1 validation error detected: Value 'no/slash' at 'identityPoolName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+", 400]);
    assert.deepEqual(out.badProvider, ['InvalidParameterException', 'Invalid Cognito Identity Provider', 400]);
    assert.deepEqual(out.noClient, ['InvalidParameterException', 'Invalid Cognito Identity Provider', 400]);
    assert.deepEqual(out.maxZero, ['ValidationException', "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1", 400]);
    assert.deepEqual(out.maxBig, ['ValidationException', "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60", 400]);
    assert.equal(out.badToken[0], 'InvalidParameterException');
    assert.deepEqual(out.roleNotArn, ['NotAuthorizedException', "Access to Role 'my-stack-SomeRole-KBKHTR8P6UC2' is forbidden.", 400]);
    assert.deepEqual(out.mappingKey, ['InvalidParameterException', `https://${PROVIDER} is not a valid RoleMapping ProviderName or is not a configured provider.`, 400]);
    assert.equal(out.mappingOk, null);
  });

  test('ListIdentityPools pages by NextToken, and the paginator walks every page', async () => {
    const out = await boto3(t.url, `
made = [c.create_identity_pool(IdentityPoolName='page%d' % i, AllowUnauthenticatedIdentities=True)['IdentityPoolId'] for i in range(7)]
seen, token, pages = [], None, 0
while True:
    r = c.list_identity_pools(MaxResults=3, **({'NextToken': token} if token else {}))
    pages += 1
    seen += [p['IdentityPoolId'] for p in r['IdentityPools']]
    token = r.get('NextToken')
    if not token: break
out['made'] = sorted(made)
out['seen'] = seen
out['pages'] = pages
out['paginated'] = [p['IdentityPoolId'] for page in c.get_paginator('list_identity_pools').paginate(PaginationConfig={'PageSize': 2}) for p in page['IdentityPools']]
`, 'ap-northeast-1');
    assert.equal(out.pages, 3);
    assert.deepEqual(out.seen, out.made);
    assert.deepEqual(out.paginated, out.made);
  });

  test('tags: at creation, TagResource, UntagResource, ListTagsForResource, and an unknown ARN', async () => {
    const out = await boto3(t.url, `
pid = c.create_identity_pool(IdentityPoolName='tagged', AllowUnauthenticatedIdentities=True, IdentityPoolTags={'team': 'auth'})['IdentityPoolId']
arn = 'arn:aws:cognito-identity:us-east-1:000000000000:identitypool/' + pid
c.tag_resource(ResourceArn=arn, Tags={'env': 'dev', 'team': 'identity'})
out['afterTag'] = c.list_tags_for_resource(ResourceArn=arn)['Tags']
c.untag_resource(ResourceArn=arn, TagKeys=['team', 'absent'])
out['afterUntag'] = c.list_tags_for_resource(ResourceArn=arn)['Tags']
out['described'] = c.describe_identity_pool(IdentityPoolId=pid)['IdentityPoolTags']
out['unknownArn'] = err(lambda: c.list_tags_for_resource(ResourceArn='arn:aws:cognito-identity:us-east-1:000000000000:identitypool/us-east-1:00000000-0000-4000-8000-000000000000'))
`);
    assert.deepEqual(out.afterTag, { team: 'identity', env: 'dev' });
    assert.deepEqual(out.afterUntag, { env: 'dev' });
    assert.deepEqual(out.described, { env: 'dev' });
    assert.equal(out.unknownArn[0], 'ResourceNotFoundException');
  });
});
