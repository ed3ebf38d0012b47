import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddCustomAttributesCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  ConfirmForgotPasswordCommand,
  CreateUserImportJobCommand,
  CreateUserPoolCommand,
  DeleteUserPoolCommand,
  DescribeUserImportJobCommand,
  ForgotPasswordCommand,
  GetCSVHeaderCommand,
  InitiateAuthCommand,
  ListUserImportJobsCommand,
  StartUserImportJobCommand,
  StopUserImportJobCommand,
  UpdateUserPoolCommand,
  type CognitoIdentityProviderClient,
  type CreateUserPoolCommandInput,
  type UserImportJobType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Running } from '../src/tobira.ts';
import { aws, idpClient, startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';
import { addClient, sdkError } from './helpers/tokens.ts';
import { lastCode } from './helpers/outbox.ts';
import { BIN, freePort, spawnTobira, stopSpawned, waitForHealth } from './helpers/process.ts';

/**
 * User import jobs as Cognito runs them. The AWS CLI v2 runs the guide's steps (get-csv-header,
 * create-user-import-job, the CSV uploaded with the guide's own curl command, start, describe
 * until Succeeded, list, stop on a large job); the JS SDK v3 the rest: the imported users'
 * first sign-in and password reset, the row rules, the refusals of the upload URL, expiry and
 * interruption; and `tobira import-users` from the command line against a running server's store.
 */

const ROLE = 'arn:aws:iam::000000000000:role/CognitoImportRole';

/** A CSV of rows under `header`, each row's missing columns empty. */
function csv(header: string[], rows: Record<string, string>[]): string {
  return [header.join(','), ...rows.map((r) => header.map((h) => r[h] ?? '').join(','))].join('\r\n') + '\r\n';
}

const user = (username: string, extra: Record<string, string> = {}) => ({
  'cognito:username': username,
  email: `${username}@example.com`,
  email_verified: 'TRUE',
  'cognito:mfa_enabled': 'FALSE',
  ...extra,
});

async function newPool(idp: CognitoIdentityProviderClient, input: Partial<CreateUserPoolCommandInput> = {}): Promise<string> {
  return (await idp.send(new CreateUserPoolCommand({ PoolName: 'import', AutoVerifiedAttributes: ['email'], ...input }))).UserPool!.Id!;
}

async function header(idp: CognitoIdentityProviderClient, poolId: string): Promise<string[]> {
  return (await idp.send(new GetCSVHeaderCommand({ UserPoolId: poolId }))).CSVHeader!;
}

async function createJob(idp: CognitoIdentityProviderClient, poolId: string, name = 'job'): Promise<UserImportJobType> {
  return (await idp.send(new CreateUserImportJobCommand({ UserPoolId: poolId, JobName: name, CloudWatchLogsRoleArn: ROLE }))).UserImportJob!;
}

async function upload(url: string, body: string | Buffer, headers: Record<string, string> = { 'content-type': 'text/csv' }) {
  const res = await fetch(url, { method: 'PUT', body: typeof body === 'string' ? body : new Uint8Array(body), headers });
  return { status: res.status, text: await res.text(), etag: res.headers.get('etag') };
}

/** Describes the job until it leaves Pending/InProgress/Stopping. */
async function settled(idp: CognitoIdentityProviderClient, poolId: string, jobId: string): Promise<UserImportJobType> {
  for (let i = 0; i < 1200; i++) {
    const job = (await idp.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: jobId }))).UserImportJob!;
    if (!['Pending', 'InProgress', 'Stopping'].includes(job.Status!)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`import job ${jobId} did not end`);
}

/** Creates, uploads, starts and waits for a job; returns it as it ended. */
async function importCsv(idp: CognitoIdentityProviderClient, poolId: string, text: string | Buffer): Promise<UserImportJobType> {
  const job = await createJob(idp, poolId);
  const put = await upload(job.PreSignedUrl!, text);
  assert.equal(put.status, 200, put.text);
  await idp.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
  return settled(idp, poolId, job.JobId!);
}

async function jobLog(url: string, jobId: string): Promise<any[]> {
  const res = await fetch(`${url}/_tobira/import-jobs/${jobId}/log`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
  return (await res.text()).trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

function ok(r: { code: number; stderr: string; json: any }) {
  assert.equal(r.code, 0, r.stderr);
  return r.json;
}

function run(cmd: string, args: string[], opts: { timeout?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeout ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as any).code === 'number' ? (err as any).code : 1) : 0, stdout, stderr });
    });
  });
}

describe('user import jobs with the AWS CLI v2 and curl, as the developer guide runs them', needs('aws', 'curl'), () => {
  let t: Running;
  let dir: string;
  before(async () => {
    t = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), 'tobira-import-cli-'));
  });
  after(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('get-csv-header, create-user-import-job, curl -T, start, describe until Succeeded, list; RESET_REQUIRED users, a skipped and a failed row in the log', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    await idp.send(new AdminCreateUserCommand({ UserPoolId: poolId, Username: 'carol', MessageAction: 'SUPPRESS' }));

    const got = ok(await aws(t.url, ['cognito-idp', 'get-csv-header', '--user-pool-id', poolId]));
    assert.equal(got.UserPoolId, poolId);
    // The guide's sample header, in its order.
    assert.deepEqual(got.CSVHeader, [
      'name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture', 'website', 'email',
      'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address', 'updated_at',
      'cognito:mfa_enabled', 'cognito:username',
    ]);
    const file = join(dir, 'users.csv');
    await writeFile(
      file,
      csv(got.CSVHeader, [
        user('alice', { given_name: 'Alice', address: '1 Main Street\\, Springfield' }),
        // Quoted as RFC 4180 allows: a comma and a doubled quote.
        user('bob', { name: '"Bob ""the builder"", Jr"' }),
        // No auto-verified attribute set to true: FAILED with Cognito's text.
        user('dave', { email_verified: 'false' }),
        // Exists already: SKIPPED.
        user('carol'),
      ]),
    );

    const created = ok(await aws(t.url, ['cognito-idp', 'create-user-import-job', '--job-name', 'guide job', '--user-pool-id', poolId, '--cloud-watch-logs-role-arn', ROLE])).UserImportJob;
    assert.match(created.JobId, /^import-[0-9a-zA-Z]+$/);
    assert.equal(created.Status, 'Created');
    assert.equal(created.CloudWatchLogsRoleArn, ROLE);
    assert.deepEqual([created.ImportedUsers, created.SkippedUsers, created.FailedUsers], [0, 0, 0]);

    // The guide's command, verbatim: curl -v -T "PATH_TO_CSV_FILE" -H "x-amz-server-side-encryption:aws:kms" "PRE_SIGNED_URL"
    const curl = await run('curl', ['-v', '-T', file, '-H', 'x-amz-server-side-encryption:aws:kms', created.PreSignedUrl]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stderr, /We are completely uploaded and fine/);
    assert.match(curl.stderr, /< HTTP\/1\.1 200/);

    const started = ok(await aws(t.url, ['cognito-idp', 'start-user-import-job', '--user-pool-id', poolId, '--job-id', created.JobId])).UserImportJob;
    assert.equal(started.Status, 'Pending');
    assert.ok(started.StartDate);

    let job: any;
    for (let i = 0; i < 120; i++) {
      job = ok(await aws(t.url, ['cognito-idp', 'describe-user-import-job', '--user-pool-id', poolId, '--job-id', created.JobId])).UserImportJob;
      if (job.Status === 'Succeeded' || job.Status === 'Failed') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(job.Status, 'Succeeded');
    assert.deepEqual([job.ImportedUsers, job.SkippedUsers, job.FailedUsers], [2, 1, 1]);
    assert.ok(job.CompletionDate && job.CompletionMessage);

    const listed = ok(await aws(t.url, ['cognito-idp', 'list-user-import-jobs', '--user-pool-id', poolId, '--max-results', '10'])).UserImportJobs;
    assert.deepEqual(listed.map((j: any) => [j.JobId, j.Status]), [[created.JobId, 'Succeeded']]);

    const alice = ok(await aws(t.url, ['cognito-idp', 'admin-get-user', '--user-pool-id', poolId, '--username', 'alice']));
    assert.equal(alice.UserStatus, 'RESET_REQUIRED');
    const attrs = Object.fromEntries(alice.UserAttributes.map((a: any) => [a.Name, a.Value]));
    assert.equal(attrs.address, '1 Main Street, Springfield');
    assert.equal(attrs.email_verified, 'true');
    const bob = ok(await aws(t.url, ['cognito-idp', 'admin-get-user', '--user-pool-id', poolId, '--username', 'bob']));
    assert.equal(Object.fromEntries(bob.UserAttributes.map((a: any) => [a.Name, a.Value])).name, 'Bob "the builder", Jr');
    const dave = await aws(t.url, ['cognito-idp', 'admin-get-user', '--user-pool-id', poolId, '--username', 'dave']);
    assert.match(dave.stderr, /UserNotFoundException/);

    const log = await jobLog(t.url, created.JobId);
    assert.deepEqual(
      log.filter((e) => e.line).map((e) => [e.line, e.outcome, e.message]),
      [
        [4, 'FAILED', 'The User Record does not set any of the auto verified attributes to verified. (Example: email_verified to true).'],
        [5, 'SKIPPED', 'The user already exists.'],
      ],
    );
    assert.equal(log[log.length - 1].outcome, 'SUCCEEDED');
  });

  test('stop-user-import-job on a large job: Stopped, with the users of the batches it wrote', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const cols = await header(idp, poolId);
    const rows = Array.from({ length: 100_000 }, (_, i) => user(`bulk${String(i).padStart(6, '0')}`));
    const file = join(dir, 'large.csv');
    await writeFile(file, csv(cols, rows));
    const created = ok(await aws(t.url, ['cognito-idp', 'create-user-import-job', '--job-name', 'large', '--user-pool-id', poolId, '--cloud-watch-logs-role-arn', ROLE])).UserImportJob;
    const curl = await run('curl', ['-sS', '-T', file, '-H', 'x-amz-server-side-encryption:aws:kms', created.PreSignedUrl]);
    assert.equal(curl.code, 0, curl.stderr);
    ok(await aws(t.url, ['cognito-idp', 'start-user-import-job', '--user-pool-id', poolId, '--job-id', created.JobId]));
    const stopped = ok(await aws(t.url, ['cognito-idp', 'stop-user-import-job', '--user-pool-id', poolId, '--job-id', created.JobId])).UserImportJob;
    assert.ok(['Stopping', 'Stopped'].includes(stopped.Status), stopped.Status);
    const job = await settled(idp, poolId, created.JobId);
    assert.equal(job.Status, 'Stopped');
    assert.equal(job.CompletionMessage, 'The Import Job was stopped by the developer.');
    assert.ok(job.ImportedUsers! < 100_000, `imported ${job.ImportedUsers}`);
    assert.equal(job.ImportedUsers! % 1000, 0, 'whole batches only');
    // Stopped for good: a second stop is refused.
    const again = await aws(t.url, ['cognito-idp', 'stop-user-import-job', '--user-pool-id', poolId, '--job-id', created.JobId]);
    assert.match(again.stderr, /PreconditionNotMetException/);
  });
});

describe('user import jobs with the JS SDK v3', () => {
  let t: Running;
  let offset = 0;
  before(async () => {
    t = await startTestServer({}, { clock: { now: () => Date.now() + offset } });
  });
  after(() => t.close());

  test('an imported user: the first sign-in answers PasswordResetRequiredException, ForgotPassword sets a password', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const { clientId } = await addClient(idp, poolId);
    const job = await importCsv(idp, poolId, csv(await header(idp, poolId), [user('erin')]));
    assert.equal(job.Status, 'Succeeded');
    const first = await sdkError(idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'erin', PASSWORD: 'Whatever#1234' } })));
    assert.deepEqual(first, { name: 'PasswordResetRequiredException', message: 'Password reset required for the user' });
    const sent = await idp.send(new ForgotPasswordCommand({ ClientId: clientId, Username: 'erin' }));
    assert.equal(sent.CodeDeliveryDetails?.DeliveryMedium, 'EMAIL');
    const code = await lastCode(t.url, 'erin@example.com');
    await idp.send(new ConfirmForgotPasswordCommand({ ClientId: clientId, Username: 'erin', ConfirmationCode: code, Password: 'New#Password123' }));
    const signedIn = await idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'erin', PASSWORD: 'New#Password123' } }));
    assert.ok(signedIn.AuthenticationResult?.IdToken);
    assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'erin' }))).UserStatus, 'CONFIRMED');
  });

  test("the guide's row rules: each broken row FAILED with its reason, a username met twice SKIPPED", async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp, {
      AliasAttributes: ['email'],
      Schema: [{ Name: 'given_name', AttributeDataType: 'String', Required: true, Mutable: true }],
    });
    await idp.send(
      new AdminCreateUserCommand({
        UserPoolId: poolId, Username: 'holder', MessageAction: 'SUPPRESS',
        UserAttributes: [{ Name: 'email', Value: 'taken@example.com' }, { Name: 'email_verified', Value: 'true' }, { Name: 'given_name', Value: 'H' }],
      }),
    );
    const cols = await header(idp, poolId);
    const rows = [
      user('ok1', { given_name: 'Ok' }),
      user('ok1', { given_name: 'Again' }), // the same username twice in the file
      user('no given name'),
      user('nogiven'),
      user('mfa', { given_name: 'M', 'cognito:mfa_enabled': 'true' }),
      user('mfaempty', { given_name: 'M', 'cognito:mfa_enabled': '' }),
      user('verifiednoemail', { given_name: 'V', email: '' }),
      user('bademail', { given_name: 'B', email: 'not-an-email' }),
      user('aliastaken', { given_name: 'A', email: 'taken@example.com' }),
      user('unknownbool', { given_name: 'U', email_verified: 'yes' }),
      user('  trimmed  ', { given_name: '  T  ', email: ' trimmed@example.com ' }),
    ];
    const text = csv(cols, rows) + 'short,row\r\n';
    const job = await importCsv(idp, poolId, text);
    // More rows refused than imported: the job Failed, with every row done.
    assert.equal(job.Status, 'Failed');
    assert.deepEqual([job.ImportedUsers, job.SkippedUsers, job.FailedUsers], [2, 1, 9]);
    const log = await jobLog(t.url, job.JobId!);
    assert.deepEqual(
      log.filter((e) => e.line).map((e) => [e.line, e.outcome, e.message]),
      [
        [3, 'SKIPPED', 'The user already exists.'],
        [4, 'FAILED', 'cognito:username cannot contain spaces or tabs.'],
        [5, 'FAILED', 'Attributes did not conform to the schema: given_name: The attribute is required'],
        [6, 'FAILED', 'cognito:mfa_enabled must be false: MFA is off in the user pool.'],
        [7, 'FAILED', 'cognito:mfa_enabled is required and must be true or false.'],
        [8, 'FAILED', 'email_verified is true, but the row has no email.'],
        [9, 'FAILED', 'Invalid email address format.'],
        [10, 'FAILED', 'An account with the given email already exists.'],
        [11, 'FAILED', 'Attributes did not conform to the schema: email_verified: Attribute value must be true or false.'],
        [13, 'FAILED', 'The row has 2 fields; the header has 21.'],
      ],
    );
    const trimmed = await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'trimmed' }));
    assert.equal(trimmed.UserAttributes?.find((a) => a.Name === 'given_name')?.Value, 'T');
  });

  test('more rows refused than imported: the job Failed with "Too many users have failed or been skipped during the import."', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const cols = await header(idp, poolId);
    const job = await importCsv(idp, poolId, csv(cols, [user('x1'), user('x2', { email_verified: 'false' }), user('x3', { email_verified: 'false' })]));
    assert.equal(job.Status, 'Failed');
    assert.equal(job.CompletionMessage, 'Too many users have failed or been skipped during the import.');
    assert.deepEqual([job.ImportedUsers, job.SkippedUsers, job.FailedUsers], [1, 0, 2]);
    const even = await importCsv(idp, poolId, csv(cols, [user('y1'), user('y2', { email_verified: 'false' })]));
    assert.deepEqual([even.Status, even.CompletionMessage], ['Succeeded', 'Import Job Completed Successfully.']);
  });

  test('a pool whose username is the email: cognito:username holds the email, a second import skips it', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp, { UsernameAttributes: ['email'] });
    const { clientId } = await addClient(idp, poolId);
    const cols = await header(idp, poolId);
    const row = { 'cognito:username': 'fay@example.com', email: 'fay@example.com', email_verified: 'true', 'cognito:mfa_enabled': 'false' };
    assert.equal((await importCsv(idp, poolId, csv(cols, [row]))).ImportedUsers, 1);
    const fay = await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'fay@example.com' }));
    assert.equal(fay.UserStatus, 'RESET_REQUIRED');
    assert.match(fay.Username!, /^[0-9a-f-]{36}$/);
    const first = await sdkError(idp.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'fay@example.com', PASSWORD: 'Whatever#1234' } })));
    assert.equal(first.name, 'PasswordResetRequiredException');
    const second = await importCsv(idp, poolId, csv(cols, [row]));
    assert.deepEqual([second.Status, second.ImportedUsers, second.SkippedUsers], ['Failed', 0, 1]);
  });

  test('a file that is not CSV, or has the wrong header, fails the job before any user is written', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const cols = await header(idp, poolId);
    const unterminated = csv(cols, [user('good1')]) + 'good2,"open\r\n';
    const bad = await importCsv(idp, poolId, unterminated);
    assert.equal(bad.Status, 'Failed');
    assert.equal(bad.CompletionMessage, 'The CSV file could not be parsed. Line 3: a double-quoted field is not closed before the end of the file.');
    assert.equal(bad.ImportedUsers, 0);
    assert.equal((await sdkError(idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'good1' })))).name, 'UserNotFoundException');

    const stray = await importCsv(idp, poolId, csv(cols, [user('good1')]).replace('good1', 'go"od1'));
    assert.match(stray.CompletionMessage!, /^The CSV file could not be parsed\. Line 2: a double quote inside a field/);

    const wrong = await importCsv(idp, poolId, csv([...cols.filter((c) => c !== 'middle_name'), 'shoe_size'], [user('good1')]));
    assert.equal(wrong.Status, 'Failed');
    assert.equal(wrong.CompletionMessage, 'The CSV header has columns the user pool does not have: shoe_size');
    const missing = await importCsv(idp, poolId, csv(cols.filter((c) => c !== 'middle_name'), [user('good1')]));
    assert.equal(missing.CompletionMessage, 'The CSV header lacks columns of GetCSVHeader: middle_name');
    const notUtf8 = await importCsv(idp, poolId, Buffer.concat([Buffer.from(csv(cols, [user('good1')])), Buffer.from([0xff, 0xfe, 0x0a])]));
    assert.equal(notUtf8.CompletionMessage, 'The CSV file could not be parsed. Line 3: the file is not valid UTF-8 text.');
    const empty = await importCsv(idp, poolId, '');
    assert.equal(empty.CompletionMessage, 'The CSV file is empty: it needs the header from GetCSVHeader.');
  });

  test('the pre-signed URL refuses a wrong signature, an unknown job, a spent or expired URL and a body over 100 MB, in S3 terms', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const job = await createJob(idp, poolId);
    const url = new URL(job.PreSignedUrl!);

    const forged = new URL(url);
    forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
    const wrong = await upload(forged.href, 'x');
    assert.equal(wrong.status, 403);
    assert.match(wrong.text, /<Code>SignatureDoesNotMatch<\/Code>/);
    const unknown = await upload(url.href.replace(job.JobId!, 'import-Nope123456'), 'x');
    assert.equal(unknown.status, 403);
    assert.match(unknown.text, /<Code>AccessDenied<\/Code>/);
    const sse = await upload(url.href, 'x', { 'x-amz-server-side-encryption': 'rot13' });
    assert.equal(sse.status, 400);
    assert.match(sse.text, /<Code>InvalidArgument<\/Code>/);

    // Declared too large: refused before a byte of the body is read.
    const declared = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(url, { method: 'PUT', headers: { 'content-length': String(200 * 1024 * 1024) } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.write('cognito:username\n');
    });
    assert.equal(declared.status, 400);
    assert.match(declared.body, /<Code>EntityTooLarge<\/Code>/);

    // Streamed (chunked, no length) past 100 MB: refused as it crosses the bound, nothing kept.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      let answered = false;
      const req = http.request(url, { method: 'PUT' }, (res) => {
        answered = true;
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      // The server closes the connection on the rest of the body: a write error after the answer is expected.
      req.on('error', (err) => answered || reject(err));
      const mb = Buffer.alloc(1024 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < 101) {
          sent++;
          if (!req.write(mb)) return void req.once('drain', pump);
        }
        req.end();
      };
      pump();
    });
    assert.equal(streamed.status, 400);
    assert.match(streamed.body, /<Code>EntityTooLarge<\/Code>/);
    // A client that goes away mid-upload: what it sent is dropped too.
    await new Promise<void>((resolve) => {
      const req = http.request(url, { method: 'PUT', headers: { 'content-length': String(4 * 1024 * 1024) } });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(2 * 1024 * 1024, 'b'));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 500);
    });
    const stored = async () => (await t.app.store.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM user_import_uploads WHERE job_id = ?', [job.JobId!]))!.n;
    for (let i = 0; i < 100 && Number(await stored()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(Number(await stored()), 0);
    const start = await sdkError(idp.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId })));
    assert.equal(start.name, 'PreconditionNotMetException');
    assert.match(start.message, /No CSV file has been uploaded/);

    // After 15 minutes the URL has expired, as S3 says it.
    offset += 16 * 60_000;
    const late = await upload(url.href, 'x');
    assert.equal(late.status, 403);
    assert.match(late.text, /<Message>Request has expired<\/Message>/);
    // After 24 hours unstarted the job has Expired.
    offset += 24 * 3600_000;
    // Creating another job in the pool expires it in the store (its upload, if any, deleted) ...
    await createJob(idp, poolId, 'later');
    assert.equal((await t.app.store.importJobs.get(job.JobId!))?.status, 'Expired');
    // ... and Cognito's API shows it so.
    const expired = (await idp.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))).UserImportJob!;
    assert.equal(expired.Status, 'Expired');
    offset = 0;

    // A started job's URL takes no more files.
    const done = await importCsv(idp, poolId, csv(await header(idp, poolId), [user('gus')]));
    const spent = await upload(done.PreSignedUrl!, 'x');
    assert.equal(spent.status, 403);
    assert.match(spent.text, /takes no more files/);
  });

  test('Start, Stop, Describe and List refusals; pagination; a pool without auto-verified attributes', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const a = await createJob(idp, poolId, 'a');
    // Listed newest first: apart by a few milliseconds at least.
    for (const name of ['b', 'c']) {
      await new Promise((r) => setTimeout(r, 5));
      await createJob(idp, poolId, name);
    }
    const unknown = await sdkError(idp.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: 'import-Nope123456' })));
    assert.equal(unknown.name, 'ResourceNotFoundException');
    const stop = await sdkError(idp.send(new StopUserImportJobCommand({ UserPoolId: poolId, JobId: a.JobId })));
    assert.deepEqual(stop, { name: 'PreconditionNotMetException', message: `Import job ${a.JobId} cannot be stopped: its status is Created.` });

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await idp.send(new ListUserImportJobsCommand({ UserPoolId: poolId, MaxResults: 2, PaginationToken: token }));
      seen.push(...page.UserImportJobs!.map((j) => j.JobName!));
      token = page.PaginationToken;
    } while (token);
    assert.deepEqual(seen, ['c', 'b', 'a']);

    const noAuto = await newPool(idp, { AutoVerifiedAttributes: [] });
    const job = await createJob(idp, noAuto);
    assert.equal((await upload(job.PreSignedUrl!, csv(await header(idp, noAuto), [user('h')]))).status, 200);
    const refused = await sdkError(idp.send(new StartUserImportJobCommand({ UserPoolId: noAuto, JobId: job.JobId })));
    assert.equal(refused.name, 'PreconditionNotMetException');
    assert.match(refused.message, /no auto-verified attributes/);
  });

  test('a pool with a running import refuses DeleteUserPool, UpdateUserPool and AddCustomAttributes with UserImportInProgressException', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const job = await createJob(idp, poolId);
    const rows = Array.from({ length: 30_000 }, (_, i) => user(`p${i}`));
    assert.equal((await upload(job.PreSignedUrl!, csv(await header(idp, poolId), rows))).status, 200);
    await idp.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
    for (const attempt of [
      idp.send(new DeleteUserPoolCommand({ UserPoolId: poolId })),
      idp.send(new UpdateUserPoolCommand({ UserPoolId: poolId, AutoVerifiedAttributes: ['email'] })),
      idp.send(new AddCustomAttributesCommand({ UserPoolId: poolId, CustomAttributes: [{ Name: 'tier', AttributeDataType: 'String' }] })),
    ]) {
      assert.deepEqual(await sdkError(attempt), { name: 'UserImportInProgressException', message: `User import job ${job.JobId} is in progress for this user pool.` });
    }
    await idp.send(new StopUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
    assert.equal((await settled(idp, poolId, job.JobId!)).Status, 'Stopped');
    await idp.send(new DeleteUserPoolCommand({ UserPoolId: poolId }));
  });

  test('a job whose server stopped while it ran is Failed when next read; the log endpoint is for operators only', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const job = await createJob(idp, poolId);
    // As a crashed node leaves it: InProgress, its heartbeat long silent.
    await t.app.store.importJobs.update(job.JobId!, { status: 'InProgress', startedAt: Date.now() - 600_000, heartbeatAt: Date.now() - 600_000 });
    const read = (await idp.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))).UserImportJob!;
    assert.equal(read.Status, 'Failed');
    assert.equal(read.CompletionMessage, 'The import job was interrupted: the Tobira server running it stopped.');

    const relayed = await fetch(`${t.url}/_tobira/import-jobs/${job.JobId}/log`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(relayed.status, 403);
    assert.equal((await fetch(`${t.url}/_tobira/import-jobs/import-Nope123456/log`)).status, 404);
  });
});

describe('tobira import-users', () => {
  let t: Running;
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tobira-import-users-'));
    t = await startTestServer({ dataDir: dir });
  });
  after(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('imports a CSV into the store of a running server, with plain progress lines off a terminal, and records the job', async () => {
    const idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const cols = await header(idp, poolId);
    const rows = Array.from({ length: 2500 }, (_, i) => user(`cli${i}`));
    rows.push(user('clibad', { email_verified: 'false' }));
    const file = join(dir, 'cli.csv');
    await writeFile(file, csv(cols, rows));

    const r = await run(process.execPath, [BIN, 'import-users', file, '--pool', poolId, '--data-dir', dir], { timeout: 300_000 });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /: Succeeded: imported 2,500, skipped 0, failed 1/);
    assert.match(r.stdout, /line 2502: FAILED The User Record does not set any of the auto verified attributes to verified/);
    assert.match(r.stderr, /^100%\s+2,501\/2,501 rows/m);

    assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'cli2499' }))).UserStatus, 'RESET_REQUIRED');
    const jobs = (await idp.send(new ListUserImportJobsCommand({ UserPoolId: poolId, MaxResults: 10 }))).UserImportJobs!;
    assert.equal(jobs.length, 1);
    assert.deepEqual([jobs[0].Status, jobs[0].ImportedUsers, jobs[0].FailedUsers], ['Succeeded', 2500, 1]);
    assert.equal(jobs[0].PreSignedUrl, undefined);

    // The same file again: every user exists, so every row is skipped and the job Failed (exit 1).
    const again = await run(process.execPath, [BIN, 'import-users', file, '--pool', poolId, '--data-dir', dir], { timeout: 300_000 });
    assert.equal(again.code, 1);
    assert.match(again.stdout, /: Failed: imported 0, skipped 2,500, failed 1 \(Too many users have failed or been skipped during the import\.\)/);

    const missingPool = await run(process.execPath, [BIN, 'import-users', file, '--pool', 'us-east-1_Nope12345', '--data-dir', dir]);
    assert.equal(missingPool.code, 1);
    assert.match(missingPool.stderr, /User pool us-east-1_Nope12345 does not exist\./);
  });
});

describe('the CSV parser', () => {
  test('RFC 4180 round trip: random fields, quoted where needed, read back from pieces cut anywhere (also inside a UTF-8 character)', async () => {
    const { csvRecords } = await import('../src/domain/import/csv.ts');
    const alphabet = ['a', 'b', ' ', ',', '"', '\n', '\r\n', 'é', '😀', '\\', 'x'];
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const records = Array.from({ length: 1 + rand(5) }, () =>
        Array.from({ length: 1 + rand(4) }, () => Array.from({ length: rand(6) }, () => alphabet[rand(alphabet.length)]).join('')),
      );
      // A record of one empty field is a blank line, which is no record: keep those out.
      const kept = records.filter((r) => !(r.length === 1 && r[0] === ''));
      const quote = (f: string) => (/[",\r\n\\]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f);
      const bytes = Buffer.from(kept.map((r) => r.map(quote).join(',')).join('\r\n') + (rand(2) ? '\r\n' : ''));
      const cuts = [0, ...Array.from({ length: rand(6) }, () => rand(bytes.length + 1)).sort((a, b) => a - b), bytes.length];
      const pieces = async function* () {
        for (let i = 1; i < cuts.length; i++) yield bytes.subarray(cuts[i - 1], cuts[i]);
      };
      const got: string[][] = [];
      for await (const rec of csvRecords(pieces())) got.push(rec.fields);
      assert.deepEqual(got, kept, `round ${round}: ${JSON.stringify(bytes.toString())}`);
    }
  });

  test("Cognito's escape: a backslash before a comma in an unquoted field is a comma; a backslash elsewhere stays", async () => {
    const { CsvParser } = await import('../src/domain/import/csv.ts');
    const p = new CsvParser();
    assert.deepEqual([...p.push('1 Main St\\, Town,C:\\dir\\,x\\\n'), ...p.end()].map((r) => r.fields), [['1 Main St, Town', 'C:\\dir,x\\']]);
  });
});

describe('a server stopping while a job runs', () => {
  let dir: string;
  let t: Running | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tobira-import-restart-'));
  });
  after(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the run stops after its batch and the job is Failed, "interrupted", when the store is opened again; its users stay', async () => {
    t = await startTestServer({ dataDir: dir });
    let idp = idpClient(t.url);
    const poolId = await newPool(idp);
    const rows = Array.from({ length: 30_000 }, (_, i) => user(`r${i}`));
    const job = await createJob(idp, poolId);
    assert.equal((await upload(job.PreSignedUrl!, csv(await header(idp, poolId), rows))).status, 200);
    await idp.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
    for (let i = 0; i < 600; i++) {
      const now = (await idp.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))).UserImportJob!;
      if (now.ImportedUsers! > 0 || now.Status !== 'Pending' && now.Status !== 'InProgress') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await t.close();
    t = await startTestServer({ dataDir: dir });
    idp = idpClient(t.url);
    const after = (await idp.send(new DescribeUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))).UserImportJob!;
    assert.equal(after.Status, 'Failed');
    assert.equal(after.CompletionMessage, 'The import job was interrupted: the Tobira server running it stopped.');
    assert.ok(after.ImportedUsers! > 0 && after.ImportedUsers! < 30_000, `imported ${after.ImportedUsers}`);
    assert.equal((await idp.send(new AdminGetUserCommand({ UserPoolId: poolId, Username: 'r0' }))).UserStatus, 'RESET_REQUIRED');
  });

  test('two nodes on one store: the job runs on the node that started it, another process stops it', async () => {
    // Node b is a process of its own: a run is known only to the process running it.
    const port = await freePort();
    const other = spawnTobira(['start', '--port', String(port), '--data-dir', dir, '--log-level', 'warn']);
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
      const a = idpClient(t!.url);
      const b = idpClient(`http://127.0.0.1:${port}`);
      const poolId = await newPool(a);
      const job = await createJob(a, poolId);
      const rows = Array.from({ length: 30_000 }, (_, i) => user(`n${i}`));
      assert.equal((await upload(job.PreSignedUrl!, csv(await header(a, poolId), rows))).status, 200);
      await a.send(new StartUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }));
      // Node b has no run of it: its answer is Stopping, and node a's run stops at its next batch.
      const stopping = (await b.send(new StopUserImportJobCommand({ UserPoolId: poolId, JobId: job.JobId }))).UserImportJob!;
      assert.equal(stopping.Status, 'Stopping');
      const ended = await settled(b, poolId, job.JobId!);
      assert.equal(ended.Status, 'Stopped');
      assert.equal(ended.CompletionMessage, 'The Import Job was stopped by the developer.');
      assert.ok(ended.ImportedUsers! < 30_000);
    } finally {
      other.child.kill('SIGTERM');
      await Promise.race([other.exited, new Promise((r) => setTimeout(r, 15_000))]);
      await stopSpawned(other);
    }
  });
});
