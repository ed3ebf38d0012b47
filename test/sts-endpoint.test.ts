import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { Running } from '../src/tobira.ts';
import { mintCredentials, type IssuedCredentials } from '../src/domain/identity/credentials.ts';
import { startTestServer } from './helpers/tobira.ts';
import { sweepExpired } from '../src/domain/housekeeping.ts';
import { parseCredentialsJson } from '../src/http/admin-credentials.ts';
import { configFromArgs } from '../src/cli/main.ts';
import { parseArgs } from '../src/cli/args.ts';
import { OffsetClock } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';
import { awsWith } from './helpers/sts.ts';

/**
 * Tobira's STS endpoint on its own port (http/sts.ts): the Query protocol's wire shapes, and
 * GetCallerIdentity signed with credentials Tobira minted, checked with the AWS CLI v2 and the
 * JS SDK. (The identity pool flows that mint them are in identity-credentials.test.ts.)
 */

const ROLE = 'arn:aws:iam::000000000000:role/app-readers';

async function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', ...headers }, body: new URLSearchParams(form).toString() });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

const errorOf = (xml: string) => ({
  type: /<Type>(.*?)<\/Type>/.exec(xml)?.[1],
  code: /<Code>(.*?)<\/Code>/.exec(xml)?.[1],
  message: /<Message>(.*?)<\/Message>/s.exec(xml)?.[1],
});

describe('the STS endpoint', () => {
  let t: Running;
  const clock = new OffsetClock();
  let creds: IssuedCredentials;
  before(async () => {
    t = await startTestServer({}, { clock });
    creds = await mintCredentials(t.app, t.app.store, {
      roleArn: ROLE,
      sessionName: 'CognitoIdentityCredentials',
      identityId: 'us-east-1:00000000-0000-4000-8000-000000000000',
      identityPoolId: 'us-east-1:11111111-1111-4111-8111-111111111111',
      principalTags: { username: 'sub-1' },
      durationSeconds: 3600,
    });
  });
  after(() => t.close());

  test('minted credentials have AWS shapes, and the secret is kept sealed or in clear but never the session token', async () => {
    assert.match(creds.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.match(creds.secretAccessKey, /^[A-Za-z0-9+/]{40}$/);
    assert.ok(creds.sessionToken.length >= 100);
    assert.equal(creds.expiresAt % 1000, 0);
    const row = await t.app.store.db.get<Record<string, string>>('SELECT * FROM temporary_credentials WHERE access_key_id = ?', [creds.accessKeyId]);
    assert.ok(row);
    assert.ok(!JSON.stringify(row).includes(creds.sessionToken));
    assert.deepEqual((await t.app.store.temporaryCredentials.get(creds.accessKeyId))!.principalTags, { username: 'sub-1' });
  });

  test('the AWS CLI: get-caller-identity answers the assumed role; expired and unknown credentials are refused as STS refuses them', needs('aws'), async () => {
    const ok = await awsWith(t.url, creds, ['sts', 'get-caller-identity']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.json.Arn, 'arn:aws:sts::000000000000:assumed-role/app-readers/CognitoIdentityCredentials');
    assert.match(ok.json.UserId, /^AROA[A-Z2-7]{17}:CognitoIdentityCredentials$/);
    assert.equal(ok.json.Account, '000000000000');

    const noToken = await awsWith(t.url, { ...creds, sessionToken: undefined }, ['sts', 'get-caller-identity']);
    assert.match(noToken.stderr, /\(InvalidClientTokenId\) when calling the GetCallerIdentity operation: The security token included in the request is invalid\./);
    const unknown = await awsWith(t.url, { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken }, ['sts', 'get-caller-identity']);
    assert.match(unknown.stderr, /\(InvalidClientTokenId\) when calling the GetCallerIdentity operation: The security token included in the request is invalid\./);
    const wrongSecret = await awsWith(t.url, { ...creds, secretAccessKey: 'x'.repeat(40) }, ['sts', 'get-caller-identity']);
    assert.match(wrongSecret.stderr, /\(SignatureDoesNotMatch\) when calling the GetCallerIdentity operation: The request signature we calculated does not match/);

    clock.offsetMs = 3601 * 1000;
    try {
      const expired = await awsWith(t.url, creds, ['sts', 'get-caller-identity']);
      assert.notEqual(expired.code, 0);
      assert.match(expired.stderr, /\(ExpiredToken\) when calling the GetCallerIdentity operation: The security token included in the request is expired/);
    } finally {
      clock.offsetMs = 0;
    }
  });

  test('the JS SDK v3 STS client signs GetCallerIdentity with the session token', async () => {
    const sts = new STSClient({ endpoint: t.url, region: 'us-east-1', credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken }, maxAttempts: 1 });
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.equal(me.Arn, 'arn:aws:sts::000000000000:assumed-role/app-readers/CognitoIdentityCredentials');
    sts.destroy();
  });

  test('wire shapes: XML errors in the STS namespace, unsigned calls, unknown actions, bad parameters', async () => {
    const unsigned = await post(t.url, { Action: 'GetCallerIdentity', Version: '2011-06-15' });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.type, 'text/xml');
    assert.match(unsigned.text, /^<ErrorResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">\n  <Error>\n    <Type>Sender<\/Type>\n    <Code>MissingAuthenticationToken<\/Code>\n    <Message>Request is missing Authentication Token<\/Message>\n  <\/Error>\n  <RequestId>[0-9a-f-]{36}<\/RequestId>\n<\/ErrorResponse>\n$/);

    assert.deepEqual(errorOf((await post(t.url, { Action: 'AssumeRole', Version: '2011-06-15' })).text), {
      type: 'Sender', code: 'InvalidAction', message: 'Could not find operation AssumeRole for version 2011-06-15',
    });
    const base = { Action: 'AssumeRoleWithWebIdentity', Version: '2011-06-15', RoleArn: ROLE, RoleSessionName: 'app', WebIdentityToken: 'a.b.c' };
    const missing = await post(t.url, { ...base, RoleSessionName: '' });
    assert.equal(missing.status, 400);
    assert.deepEqual(errorOf(missing.text), { type: 'Sender', code: 'ValidationError', message: "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null" });
    assert.deepEqual(errorOf((await post(t.url, { ...base, DurationSeconds: '899' })).text).message,
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900");
    assert.deepEqual(errorOf((await post(t.url, { ...base, DurationSeconds: '43201' })).text).message,
      "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200");
    assert.deepEqual(errorOf((await post(t.url, { ...base, RoleSessionName: 'a b' })).text).code, 'ValidationError');
    assert.deepEqual(errorOf((await post(t.url, { ...base, RoleArn: 'role' })).text), { type: 'Sender', code: 'ValidationError', message: 'Request ARN is invalid' });
    assert.deepEqual(errorOf((await post(t.url, { ...base, WebIdentityToken: 'not-a-jwt' })).text), {
      type: 'Sender', code: 'InvalidIdentityToken', message: 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
    });
    const past = `e30.${Buffer.from(JSON.stringify({ exp: 1000 })).toString('base64url')}.x`;
    const expired = errorOf((await post(t.url, { ...base, WebIdentityToken: past })).text);
    assert.equal(expired.code, 'ExpiredTokenException');
    assert.match(expired.message!, /^Token expired: current date\/time \d+ must be before the expiration date\/time 1000$/);

    // Garbage never gets a 5xx: a malformed signature, a missing version, an odd body.
    const garbled = await post(t.url, { Action: 'GetCallerIdentity', Version: '2011-06-15' }, { authorization: 'AWS4-HMAC-SHA256 nonsense' });
    assert.equal(errorOf(garbled.text).code, 'IncompleteSignature');
    assert.equal(errorOf((await post(t.url, { Action: 'GetCallerIdentity' })).text).code, 'InvalidAction');
    const odd = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=%ZZ&Version=2011-06-15&&=' });
    assert.ok(odd.status < 500, String(odd.status));
    const forged = `e30.${Buffer.from(JSON.stringify({ exp: 4102444800, sub: 'x', aud: 'y', amr: ['authenticated'] })).toString('base64url')}.c2ln`;
    assert.deepEqual(errorOf((await post(t.url, { ...base, WebIdentityToken: forged })).text).code, 'InvalidIdentityToken');

    // A JSON call on the same path still goes to the awsJson services.
    const json = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityService.ListIdentityPools' }, body: '{"MaxResults":1}' });
    assert.equal(json.status, 200);
  });
});

describe('the STS endpoint with a master key', () => {
  let t: Running;
  before(async () => {
    t = await startTestServer({ masterKey: 'a master key of sixteen or more' });
  });
  after(() => t.close());

  test('the secret key is sealed at rest and still checks signatures', async () => {
    const creds = await mintCredentials(t.app, t.app.store, { roleArn: ROLE, sessionName: 'sealed', identityId: null, identityPoolId: null, principalTags: {}, durationSeconds: 900 });
    const row = await t.app.store.db.get<{ secret_access_key: string }>('SELECT secret_access_key FROM temporary_credentials WHERE access_key_id = ?', [creds.accessKeyId]);
    assert.match(row!.secret_access_key, /^sealed:v1:/);
    const sts = new STSClient({ endpoint: t.url, region: 'us-east-1', credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken }, maxAttempts: 1 });
    assert.equal((await sts.send(new GetCallerIdentityCommand({}))).Arn, 'arn:aws:sts::000000000000:assumed-role/app-readers/sealed');
    sts.destroy();
  });

  test('housekeeping sweeps credentials a day after they expire, not before', async () => {
    const c = await mintCredentials(t.app, t.app.store, { roleArn: ROLE, sessionName: 'swept', identityId: null, identityPoolId: null, principalTags: {}, durationSeconds: 900 });
    const at = (ms: number) => ({ now: () => c.expiresAt + ms });
    await sweepExpired({ store: t.app.store, clock: at(23 * 3600_000) });
    assert.ok(await t.app.store.temporaryCredentials.get(c.accessKeyId));
    await sweepExpired({ store: t.app.store, clock: at(25 * 3600_000) });
    assert.equal(await t.app.store.temporaryCredentials.get(c.accessKeyId), undefined);
  });
});

describe('the STS endpoint with admin credentials configured', () => {
  let t: Running;
  before(async () => {
    t = await startTestServer({
      adminCredentials: parseCredentialsJson(JSON.stringify({ credentials: [
        { accessKeyId: 'AKIDADMIN', secretAccessKey: 'admin-secret' },
        { accessKeyId: 'AKIDNAMED', secretAccessKey: 'named-secret', name: 'deployer', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: '*', Resource: '*' }] } },
      ] })),
    });
  });
  after(() => t.close());

  test('an admin key answers its IAM user; another long-term key is refused', needs('aws'), async () => {
    const admin = await awsWith(t.url, { accessKeyId: 'AKIDADMIN', secretAccessKey: 'admin-secret' }, ['sts', 'get-caller-identity']);
    assert.equal(admin.code, 0, admin.stderr);
    assert.equal(admin.json.Arn, 'arn:aws:iam::000000000000:user/AKIDADMIN');
    assert.match(admin.json.UserId, /^AIDA[A-Z2-7]{17}$/);
    // A named key answers its name, whatever its policy (GetCallerIdentity needs no permission).
    const named = await awsWith(t.url, { accessKeyId: 'AKIDNAMED', secretAccessKey: 'named-secret' }, ['sts', 'get-caller-identity']);
    assert.equal(named.json?.Arn, 'arn:aws:iam::000000000000:user/deployer', named.stderr);
    const other = await awsWith(t.url, { accessKeyId: 'AKIDOTHER', secretAccessKey: 'admin-secret' }, ['sts', 'get-caller-identity']);
    assert.match(other.stderr, /\(InvalidClientTokenId\) when calling the GetCallerIdentity operation: The security token included in the request is invalid\./);
  });
});

test('--sts-endpoint over TOBIRA_STS_ENDPOINT over none', () => {
  assert.equal(configFromArgs(parseArgs(['--sts-endpoint', 'https://sts.amazonaws.com']), { TOBIRA_STS_ENDPOINT: 'http://other' }).stsEndpoint, 'https://sts.amazonaws.com');
  assert.equal(configFromArgs(parseArgs([]), { TOBIRA_STS_ENDPOINT: 'http://127.0.0.1:9400' }).stsEndpoint, 'http://127.0.0.1:9400');
  assert.equal(configFromArgs(parseArgs([]), {}).stsEndpoint, null);
});
