import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, matches, parsePolicy } from '../src/http/iam-policy.ts';
import { authorizeAdminCall, callTarget, parseCredentialsJson } from '../src/http/admin-credentials.ts';
import { parseCredentials } from '../src/config.ts';

const POOL = 'arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_AAA';
const OTHER = 'arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_BBB';

test('wildcards: * and ? in actions (any case) and resources (exact case)', () => {
  assert.ok(matches('cognito-idp:List*', 'cognito-idp:ListUsers', true));
  assert.ok(matches('COGNITO-IDP:list*', 'cognito-idp:ListUsers', true));
  assert.ok(!matches('cognito-idp:List*', 'cognito-idp:AdminListGroupsForUser', true));
  assert.ok(matches('cognito-idp:Admin?etUser', 'cognito-idp:AdminGetUser', true));
  assert.ok(matches('arn:aws:cognito-idp:*:*:userpool/us-east-1_A?A', POOL, false));
  assert.ok(!matches('arn:aws:cognito-idp:*:*:userpool/us-east-1_aaa', POOL, false));
  assert.ok(!matches('arn:*', '*', false), 'an operation on no resource is allowed only by Resource "*"');
  assert.ok(matches('a.b+c', 'a.b+c', false) && !matches('a.b', 'aXb', false), 'regex characters are literal');
});

test('evaluation: explicit Deny wins, then Allow, else denied', () => {
  const p = parsePolicy({
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: '*', Resource: '*' },
      { Effect: 'Deny', Action: 'cognito-idp:*', Resource: POOL },
    ],
  });
  assert.equal(evaluate(p, 'cognito-idp:AdminCreateUser', POOL), 'explicit-deny');
  assert.equal(evaluate(p, 'cognito-idp:AdminCreateUser', OTHER), 'allow');
  assert.equal(evaluate(p, 'cognito-identity:ListIdentityPools', '*'), 'allow');

  const reader = parsePolicy({ Statement: { Effect: 'Allow', Action: ['cognito-idp:List*', 'cognito-idp:Describe*'], Resource: '*' } });
  assert.equal(evaluate(reader, 'cognito-idp:ListUsers', POOL), 'allow');
  assert.equal(evaluate(reader, 'cognito-idp:AdminCreateUser', POOL), 'implicit-deny');

  const not = parsePolicy({
    Statement: [
      { Effect: 'Allow', NotAction: 'cognito-idp:Delete*', Resource: '*' },
      { Effect: 'Deny', Action: '*', NotResource: 'arn:aws:cognito-idp:us-east-1:*:userpool/*' },
    ],
  });
  assert.equal(evaluate(not, 'cognito-idp:DeleteUserPool', POOL), 'implicit-deny');
  // As in IAM: the resource of CreateUserPool is "*", which the NotResource pattern does not match.
  assert.equal(evaluate(not, 'cognito-idp:CreateUserPool', '*'), 'explicit-deny');
  assert.equal(evaluate(not, 'cognito-idp:AdminGetUser', POOL), 'allow');
  assert.equal(evaluate(not, 'cognito-idp:AdminGetUser', 'arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_X'), 'explicit-deny');
});

test('documents Tobira cannot evaluate faithfully are refused when read', () => {
  assert.throws(() => parsePolicy({ Statement: { Effect: 'Allow', Action: '*', Resource: '*', Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } } }), /Condition is not supported/);
  assert.throws(() => parsePolicy({ Statement: { Effect: 'Permit', Action: '*', Resource: '*' } }), /Effect must be Allow or Deny/);
  assert.throws(() => parsePolicy({ Statement: { Effect: 'Allow', Action: '*', NotAction: 'x:y', Resource: '*' } }), /exactly one of Action and NotAction/);
  assert.throws(() => parsePolicy({ Statement: { Effect: 'Allow', Action: 'AdminCreateUser', Resource: '*' } }), /is not an action/);
  assert.throws(() => parsePolicy({ Statement: { Effect: 'Allow', Action: '*' } }), /exactly one of Resource and NotResource/);
  assert.throws(() => parsePolicy({ Version: '2020-01-01', Statement: [] }), /Version/);
  assert.throws(() => parsePolicy({ Statement: [] }), /needs a Statement/);
});

test('admin credentials in JSON: keys with names, ARNs and policies; the line form stays', () => {
  const creds = parseCredentials(
    JSON.stringify({
      credentials: [
        { accessKeyId: 'AKIDREAD', secretAccessKey: 's1', name: 'reader', policy: { Version: '2012-10-17', Statement: { Effect: 'Allow', Action: 'cognito-idp:List*', Resource: '*' } } },
        { accessKeyId: 'AKIDALL', secretAccessKey: 's2' },
      ],
    }),
  );
  assert.deepEqual([...creds], [['AKIDREAD', 's1'], ['AKIDALL', 's2']]);
  const target = callTarget('cognito-idp', 'AdminCreateUser', { UserPoolId: 'us-east-1_AAA', Username: 'x' }, '000000000000');
  assert.deepEqual(target, { action: 'cognito-idp:AdminCreateUser', resource: POOL });
  assert.throws(
    () => authorizeAdminCall(creds, 'AKIDREAD', '000000000000', target),
    (e: any) =>
      e.type === 'AccessDeniedException' &&
      e.status === 400 &&
      e.message === `User: arn:aws:iam::000000000000:user/reader is not authorized to perform: cognito-idp:AdminCreateUser on resource: ${POOL} because no identity-based policy allows the cognito-idp:AdminCreateUser action`,
  );
  authorizeAdminCall(creds, 'AKIDALL', '000000000000', target); // no policy: everything
  authorizeAdminCall(new Map([['AKIDREAD', 's1']]), 'AKIDREAD', '000000000000', target); // plain pairs: everything
  assert.deepEqual(callTarget('cognito-identity', 'DescribeIdentityPool', { IdentityPoolId: 'eu-west-1:1234' }, '1'), {
    action: 'cognito-identity:DescribeIdentityPool',
    resource: 'arn:aws:cognito-identity:eu-west-1:1:identitypool/eu-west-1:1234',
  });
  assert.equal(callTarget('cognito-idp', 'ListUserPools', { MaxResults: 1 }, '1').resource, '*');

  assert.throws(() => parseCredentialsJson('{"credentials": [{"accessKeyId": "A", "secretAccessKey": "topsecret", "policy": {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {}}}}]}'), (e: Error) => /entry 0 \(A\): Statement 0: Condition is not supported/.test(e.message) && !e.message.includes('topsecret'));
  assert.throws(() => parseCredentialsJson('{"credentials": [{"accessKeyId": "A", "secretAccessKey": "topsecret",}]}'), (e: Error) => e.message === 'the admin credentials are not valid JSON');
  assert.throws(() => parseCredentialsJson('{"credentials": [{"accessKeyId": "A", "secretAccessKey": "x"}, {"accessKeyId": "A", "secretAccessKey": "y"}]}'), /given twice/);
});
