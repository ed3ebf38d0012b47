import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromArgs } from '../src/cli/main.ts';
import { parseArgs } from '../src/cli/args.ts';
import type { Running } from '../src/tobira.ts';
import { startTestServer } from './helpers/tobira.ts';
import { awsWith } from './helpers/sts.ts';
import { needs, PYTHON } from './helpers/tools.ts';

/**
 * IAM policies on admin keys (--admin-credentials-file in JSON), driven by the AWS CLI v2 and
 * boto3 signing as two keys: a read-only one (List*, Describe*, AdminGet*) and one allowed
 * everything but denied the user pools of eu-west-1. A third key, without a policy, may do all.
 */
const ACCOUNT = '000000000000';
const READER = { id: 'AKIDREADER', secret: 'reader-secret-0123456789' };
const OPERATOR = { id: 'AKIDOPERATOR', secret: 'operator-secret-0123456789' };
const ROOT = { id: 'AKIDROOT', secret: 'root-secret-0123456789' };

const file = {
  credentials: [
    {
      accessKeyId: READER.id,
      secretAccessKey: READER.secret,
      name: 'reader',
      policy: {
        Version: '2012-10-17',
        Statement: [{ Sid: 'ReadOnly', Effect: 'Allow', Action: ['cognito-idp:List*', 'cognito-idp:Describe*', 'cognito-idp:AdminGet*'], Resource: '*' }],
      },
    },
    {
      accessKeyId: OPERATOR.id,
      secretAccessKey: OPERATOR.secret,
      arn: `arn:aws:iam::${ACCOUNT}:user/ops/operator`,
      policy: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: '*', Resource: '*' },
          { Effect: 'Deny', Action: 'cognito-idp:*', Resource: `arn:aws:cognito-idp:eu-west-1:${ACCOUNT}:userpool/eu-west-1_*` },
        ],
      },
    },
    { accessKeyId: ROOT.id, secretAccessKey: ROOT.secret },
  ],
};

/** The AWS CLI v2 signing as one of the keys above (helpers/sts.ts). */
const cli = (url: string, key: { id: string; secret: string }, args: string[], region = 'us-east-1') =>
  awsWith(url, { accessKeyId: key.id, secretAccessKey: key.secret }, args, region);

/** Runs a boto3 script with `c` a cognito-idp client signing as `key`; prints what the script prints. */
function boto3(url: string, key: { id: string; secret: string }, script: string, region = 'us-east-1'): Promise<{ code: number; out: string }> {
  const prelude = `import boto3, json, botocore\nc = boto3.client('cognito-idp', endpoint_url='${url}', region_name='${region}', aws_access_key_id='${key.id}', aws_secret_access_key='${key.secret}')\n`;
  return new Promise((resolve) =>
    execFile(PYTHON, ['-c', prelude + script], { timeout: 60_000, env: { ...process.env, AWS_CONFIG_FILE: '/nonexistent', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent' } }, (err, stdout, stderr) =>
      resolve({ code: err ? 1 : 0, out: stdout + stderr }),
    ),
  );
}

describe('IAM policies on admin keys', () => {
  let t: Running;
  let poolId: string;
  let euPoolId: string;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tobira-policies-'));
    writeFileSync(join(dir, 'admins.json'), JSON.stringify(file, null, 2));
    const config = configFromArgs(parseArgs(['--admin-credentials-file', join(dir, 'admins.json')]), {});
    t = await startTestServer({ adminCredentials: config.adminCredentials, accountId: ACCOUNT });
  });
  after(() => t?.close());

  test('the AWS CLI: a read-only key reads and is refused writes with IAM\'s message', needs('aws'), async () => {
    const made = await cli(t.url, ROOT, ['cognito-idp', 'create-user-pool', '--pool-name', 'shared']);
    assert.equal(made.code, 0, made.stderr);
    poolId = made.json.UserPool.Id;
    const arn = `arn:aws:cognito-idp:us-east-1:${ACCOUNT}:userpool/${poolId}`;

    const listed = await cli(t.url, READER, ['cognito-idp', 'list-user-pools', '--max-results', '10']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.json.UserPools.some((p: any) => p.Id === poolId));
    const described = await cli(t.url, READER, ['cognito-idp', 'describe-user-pool', '--user-pool-id', poolId]);
    assert.equal(described.code, 0, described.stderr);

    const refused = await cli(t.url, READER, ['cognito-idp', 'admin-create-user', '--user-pool-id', poolId, '--username', 'mallory']);
    assert.notEqual(refused.code, 0);
    assert.equal(
      refused.stderr.trim(),
      `An error occurred (AccessDeniedException) when calling the AdminCreateUser operation: User: arn:aws:iam::${ACCOUNT}:user/reader is not authorized to perform: cognito-idp:AdminCreateUser on resource: ${arn} because no identity-based policy allows the cognito-idp:AdminCreateUser action`,
    );
    const noPool = await cli(t.url, READER, ['cognito-idp', 'create-user-pool', '--pool-name', 'nope']);
    assert.match(noPool.stderr, /User: arn:aws:iam::000000000000:user\/reader is not authorized to perform: cognito-idp:CreateUserPool on resource: \* because no identity-based policy allows the cognito-idp:CreateUserPool action/);
    const identity = await cli(t.url, READER, ['cognito-identity', 'list-identity-pools', '--max-results', '10']);
    assert.match(identity.stderr, /\(AccessDeniedException\).*cognito-identity:ListIdentityPools on resource: \*/);
    // Refused before validation: a refused caller learns nothing from the body.
    const invalid = await cli(t.url, READER, ['cognito-idp', 'admin-delete-user', '--user-pool-id', poolId, '--username', 'x'.repeat(200)]);
    assert.match(invalid.stderr, /\(AccessDeniedException\)/);
  });

  test('boto3: a key allowed everything but the pools of eu-west-1 gets an explicit deny there only', needs('boto3'), async () => {
    const r = await boto3(
      t.url,
      OPERATOR,
      `
eu = boto3.client('cognito-idp', endpoint_url='${t.url}', region_name='eu-west-1', aws_access_key_id='${OPERATOR.id}', aws_secret_access_key='${OPERATOR.secret}')
out = {}
pool = c.create_user_pool(PoolName='ops')['UserPool']['Id']
c.admin_create_user(UserPoolId=pool, Username='alice', MessageAction='SUPPRESS')
out['us'] = c.admin_get_user(UserPoolId=pool, Username='alice')['Username']
# CreateUserPool acts on no pool (resource "*"), so the Deny on eu-west-1's pools does not reach it.
eu_pool = eu.create_user_pool(PoolName='protected')['UserPool']['Id']
out['euPool'] = eu_pool
try:
    eu.admin_create_user(UserPoolId=eu_pool, Username='bob', MessageAction='SUPPRESS')
    out['eu'] = 'allowed'
except botocore.exceptions.ClientError as e:
    out['eu'] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
print(json.dumps(out))
`,
    );
    assert.equal(r.code, 0, r.out);
    const out = JSON.parse(r.out.trim().split('\n').pop()!);
    assert.equal(out.us, 'alice');
    euPoolId = out.euPool;
    assert.match(euPoolId, /^eu-west-1_/);
    assert.deepEqual(out.eu, [
      'AccessDeniedException',
      `User: arn:aws:iam::${ACCOUNT}:user/ops/operator is not authorized to perform: cognito-idp:AdminCreateUser on resource: arn:aws:cognito-idp:eu-west-1:${ACCOUNT}:userpool/${euPoolId} with an explicit deny in an identity-based policy`,
      400,
    ]);
    // The key without a policy may still do everything there.
    const root = await boto3(t.url, ROOT, `c.admin_create_user(UserPoolId='${euPoolId}', Username='bob', MessageAction='SUPPRESS')\nprint('ok')`, 'eu-west-1');
    assert.equal(root.code, 0, root.out);
  });
});
