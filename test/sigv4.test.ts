import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityProviderClient, CreateUserPoolClientCommand, CreateUserPoolCommand, InitiateAuthCommand, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { canonicalRequest, signature } from '../src/http/sigv4.ts';
import { parseCredentials } from '../src/config.ts';
import { configFromArgs } from '../src/cli/main.ts';
import { parseArgs } from '../src/cli/args.ts';
import type { Running } from '../src/tobira.ts';
import { aws, rawCall, sdkError, startTestServer } from './helpers/tobira.ts';
import { needs, PYTHON } from './helpers/tools.ts';

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

test("the signature of AWS's SigV4 test suite (get-vanilla)", () => {
  const canonical = canonicalRequest({ method: 'GET', url: '/', headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' }, body: '' }, ['host', 'x-amz-date']);
  const sig = signature('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', { date: '20150830', region: 'us-east-1', service: 'service' }, '20150830T123600Z', canonical);
  assert.equal(sig.toString('hex'), '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31');
});

test('signatures stay those of their own secret and scope when signing keys are reused', () => {
  // Signing keys are derived once per secret and scope (http/sigv4.ts): each input still counts.
  const canonical = canonicalRequest({ method: 'GET', url: '/', headers: { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' }, body: '' }, ['host', 'x-amz-date']);
  const scope = { date: '20150830', region: 'us-east-1', service: 'service' };
  const sign = (secret: string, s = scope) => signature(secret, s, '20150830T123600Z', canonical).toString('hex');
  const vanilla = '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31';
  const secret = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';
  assert.equal(sign(secret), vanilla);
  const others = [sign('another-secret'), sign(secret, { ...scope, region: 'us-west-2' }), sign(secret, { ...scope, service: 'cognito-idp' }), sign(secret, { ...scope, date: '20150831' })];
  assert.equal(new Set([vanilla, ...others]).size, 5);
  assert.equal(sign(secret), vanilla);
  assert.equal(sign('another-secret'), others[0]);
});

test('admin credentials: AKID:SECRET pairs from the environment or a file', () => {
  assert.deepEqual([...parseCredentials('A1:s1, A2:s:2')], [['A1', 's1'], ['A2', 's:2']]);
  assert.throws(() => parseCredentials('nocolon'), /AKID:SECRET pairs/);
  const dir = mkdtempSync(join(tmpdir(), 'tobira-creds-'));
  writeFileSync(join(dir, 'creds'), '# admins\nAKIDONE:secret-one\n\nAKIDTWO:secret-two\n');
  const config = configFromArgs(parseArgs(['--admin-credentials-file', join(dir, 'creds')]), {});
  assert.equal(config.adminCredentials?.get('AKIDTWO'), 'secret-two');
  assert.equal(configFromArgs(parseArgs([]), { TOBIRA_ADMIN_CREDENTIALS: 'AK:SK' }).adminCredentials?.get('AK'), 'SK');
  assert.equal(configFromArgs(parseArgs([]), {}).adminCredentials, null, 'none by default: every admin call accepted');
});

describe('SigV4 on admin operations, with admin credentials configured', () => {
  let t: Running;
  // The credentials the test helpers' AWS CLI and SDK clients sign with.
  const KEY = 'AKIDTOBIRATEST';
  const SECRET = 'tobira-test-secret';
  const sdk = (credentials: { accessKeyId: string; secretAccessKey: string }, extra: Record<string, unknown> = {}) =>
    new CognitoIdentityProviderClient({ endpoint: t.url, region: 'us-east-1', credentials, maxAttempts: 1, ...extra });

  before(async () => {
    t = await startTestServer({ adminCredentials: new Map([[KEY, SECRET], ['AKIDOTHER', 'other-secret']]) });
  });
  after(() => t.close());

  test('the AWS CLI, the JS SDK and boto3 sign admin calls that pass; the region comes from the signature', needs('aws', 'boto3'), async () => {
    const cli = await aws(t.url, ['cognito-idp', 'create-user-pool', '--pool-name', 'signed'], 'ap-northeast-1');
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.json.UserPool.Id, /^ap-northeast-1_/);
    const made = await sdk({ accessKeyId: 'AKIDOTHER', secretAccessKey: 'other-secret' }).send(new CreateUserPoolCommand({ PoolName: 'by-sdk' }));
    assert.match(made.UserPool!.Id!, /^us-east-1_/);
    const py = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        PYTHON,
        ['-c', `import boto3, json\nc = boto3.client('cognito-idp', endpoint_url='${t.url}', region_name='us-east-1', aws_access_key_id='${KEY}', aws_secret_access_key='${SECRET}')\nprint(json.dumps([p['Name'] for p in c.list_user_pools(MaxResults=60)['UserPools']]))`],
        { timeout: 60_000 },
        (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }),
      ),
    );
    assert.equal(py.code, 0, py.out);
    assert.ok(JSON.parse(py.out).includes('by-sdk'));
  });

  test('a wrong secret, an unknown key, an unsigned call and an old signature are refused as AWS refuses them', needs('aws'), async () => {
    assert.deepEqual(await sdkError(sdk({ accessKeyId: KEY, secretAccessKey: 'wrong' }).send(new ListUserPoolsCommand({ MaxResults: 10 }))), {
      name: 'InvalidSignatureException',
      message: MISMATCH,
    });
    assert.deepEqual(await sdkError(sdk({ accessKeyId: 'AKIDNOBODY', secretAccessKey: SECRET }).send(new ListUserPoolsCommand({ MaxResults: 10 }))), {
      name: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    const unsigned = await rawCall(t.url, 'ListUserPools', { MaxResults: 10 });
    assert.equal(unsigned.status, 400);
    assert.deepEqual(unsigned.json, { __type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    // Even a malformed body is not looked at before the signature.
    assert.equal((await rawCall(t.url, 'ListUserPools', '{not json')).json.__type, 'MissingAuthenticationTokenException');
    const late = await sdkError(sdk({ accessKeyId: KEY, secretAccessKey: SECRET }, { systemClockOffset: -10 * 60 * 1000 }).send(new ListUserPoolsCommand({ MaxResults: 10 })));
    assert.equal(late.name, 'InvalidSignatureException');
    assert.match(late.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    const cli = await aws(t.url, ['cognito-idp', 'list-user-pools', '--max-results', '10', '--no-sign-request']);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /An error occurred \(MissingAuthenticationTokenException\) when calling the ListUserPools operation: Missing Authentication Token/);
  });

  /**
   * Headers of a call signed by hand with KEY over `signedBody` (which need not be the body sent),
   * for `service`'s credential scope.
   */
  function signedBy(target: string, signedBody: string, service = 'cognito-idp'): Record<string, string> {
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const headers = { host: new URL(t.url).host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-date': amzDate, 'x-amz-target': target };
    const signed = ['content-type', 'host', 'x-amz-date', 'x-amz-target'];
    const scope = { date: amzDate.slice(0, 8), region: 'us-east-1', service };
    const sig = signature(SECRET, scope, amzDate, canonicalRequest({ method: 'POST', url: '/', headers, body: signedBody }, signed)).toString('hex');
    return {
      'x-amz-target': target,
      'x-amz-date': amzDate,
      authorization: `AWS4-HMAC-SHA256 Credential=${KEY}/${scope.date}/us-east-1/${service}/aws4_request, SignedHeaders=${signed.join(';')}, Signature=${sig}`,
    };
  }

  test('a body changed after signing is refused', async () => {
    const send = (signedBody: string, sentBody: string) =>
      rawCall(t.url, 'ListUserPools', sentBody, signedBy('AWSCognitoIdentityProviderService.ListUserPools', signedBody));
    const honest = await send('{"MaxResults":10}', '{"MaxResults":10}');
    assert.equal(honest.status, 200, honest.text);
    const tampered = await send('{"MaxResults":10}', '{"MaxResults":60}');
    assert.deepEqual(tampered.json, { __type: 'InvalidSignatureException', message: MISMATCH });
  });

  test('a Date header (IMF-fixdate) stands in for an absent X-Amz-Date; its day must be the scope\'s', async () => {
    const now = new Date();
    const httpDate = now.toUTCString(); // Sun, 06 Dec 2026 22:00:00 GMT
    const amzDate = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const body = '{"MaxResults":10}';
    const send = (scopeDate: string) => {
      const headers = { host: new URL(t.url).host, 'content-type': 'application/x-amz-json-1.1', date: httpDate, 'x-amz-target': 'AWSCognitoIdentityProviderService.ListUserPools' };
      const signed = ['content-type', 'date', 'host', 'x-amz-target'];
      const scope = { date: scopeDate, region: 'us-east-1', service: 'cognito-idp' };
      const sig = signature(SECRET, scope, amzDate, canonicalRequest({ method: 'POST', url: '/', headers, body }, signed)).toString('hex');
      return rawCall(t.url, 'ListUserPools', body, {
        date: httpDate,
        authorization: `AWS4-HMAC-SHA256 Credential=${KEY}/${scopeDate}/us-east-1/cognito-idp/aws4_request, SignedHeaders=${signed.join(';')}, Signature=${sig}`,
      });
    };
    const ok = await send(amzDate.slice(0, 8));
    assert.equal(ok.status, 200, ok.text);
    const wrongDay = await send('20200101');
    assert.deepEqual(wrongDay.json, {
      __type: 'InvalidSignatureException',
      message: `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20200101' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`,
    });
  });

  test('cognito-identity calls are checked against their own service name; its end-user operations stay unsigned', needs('aws'), async () => {
    const cli = await aws(t.url, ['cognito-identity', 'list-identity-pools', '--max-results', '10']);
    assert.equal(cli.code, 0, cli.stderr);
    // Signed correctly, but for cognito-idp: AWS's front end names the service it wanted.
    const target = 'AWSCognitoIdentityService.ListIdentityPools';
    const body = '{"MaxResults":10}';
    const send = (service: string) => rawCall(t.url, 'ListIdentityPools', body, signedBy(target, body, service));
    assert.equal((await send('cognito-identity')).status, 200);
    assert.deepEqual((await send('cognito-idp')).json, {
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'cognito-identity'. ",
    });
    const unsigned = await rawCall(t.url, 'ListIdentityPools', body, { 'x-amz-target': target });
    assert.equal(unsigned.json.__type, 'MissingAuthenticationTokenException');
    // GetId is `auth: none` in the model: no signature asked, so it reaches the service, which
    // looks for the pool.
    const getId = await rawCall(t.url, 'GetId', { IdentityPoolId: 'us-east-1:0000' }, { 'x-amz-target': 'AWSCognitoIdentityService.GetId' });
    assert.notEqual(getId.json.__type, 'MissingAuthenticationTokenException');
    assert.equal(getId.json.__type, 'ResourceNotFoundException');
  });

  test('end-user operations stay unsigned, as the SDKs send them', async () => {
    const poolId = (await sdk({ accessKeyId: KEY, secretAccessKey: SECRET }).send(new CreateUserPoolCommand({ PoolName: 'users' }))).UserPool!.Id!;
    const clientId = (
      await sdk({ accessKeyId: KEY, secretAccessKey: SECRET }).send(
        new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'web', ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] }),
      )
    ).UserPoolClient!.ClientId!;
    const raw = await rawCall(t.url, 'InitiateAuth', { ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nobody', PASSWORD: 'x' } });
    assert.equal(raw.json.__type, 'UserNotFoundException');
    // An SDK with no usable credentials at all still calls InitiateAuth.
    const anonymous = sdk({ accessKeyId: 'AKIDNOBODY', secretAccessKey: 'none' });
    assert.equal((await sdkError(anonymous.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nobody', PASSWORD: 'x' } })))).name, 'UserNotFoundException');
  });
});
