// User import jobs at scale: a 100,000-row CSV (GetCSVHeader's columns) uploaded to the
// pre-signed URL and imported by a job on an on-disk SQLite store, as a client would run it over
// HTTP; prints the upload time and the job's rows/s (StartDate to CompletionDate).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../src/config.ts';
import { startTobira } from '../src/tobira.ts';
import { PostgresDatabase } from '../src/store/postgres.ts';
import { createDatabase } from '../test/helpers/postgres.ts';
import { fmt, idpCall } from './util.ts';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 100_000);

export async function run(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'tobira-bench-import-'));
  // BENCH_POSTGRES=<admin URL>: the same figures on a fresh PostgreSQL database of that server.
  const admin = process.env.BENCH_POSTGRES;
  const database = admin ? await PostgresDatabase.open(await createDatabase(admin)) : undefined;
  console.log(`store: ${admin ? 'PostgreSQL' : 'SQLite (on disk, WAL)'}`);
  const running = await startTobira({ ...defaultConfig({}), port: 0, dataDir: dir, logLevel: 'silent' }, { database });
  const { url } = running;
  try {
    const poolId = (await idpCall(url, 'CreateUserPool', { PoolName: 'bench', AliasAttributes: ['email'], AutoVerifiedAttributes: ['email'] })).UserPool.Id;
    const header: string[] = (await idpCall(url, 'GetCSVHeader', { UserPoolId: poolId })).CSVHeader;
    const lines = [header.join(',')];
    for (let i = 0; i < ROWS; i++) {
      const username = `user${String(i).padStart(6, '0')}`;
      const row: Record<string, string> = {
        'cognito:username': username,
        email: `${username}@example.com`,
        email_verified: 'true',
        given_name: `Given${i % 997}`,
        family_name: `Family${i % 991}`,
        'cognito:mfa_enabled': 'false',
      };
      lines.push(header.map((h) => row[h] ?? '').join(','));
    }
    const csv = `${lines.join('\n')}\n`;

    const job = (await idpCall(url, 'CreateUserImportJob', { UserPoolId: poolId, JobName: 'bench', CloudWatchLogsRoleArn: 'arn:aws:iam::000000000000:role/CognitoImport' })).UserImportJob;
    let started = performance.now();
    const put = await fetch(job.PreSignedUrl, { method: 'PUT', body: csv, headers: { 'content-type': 'text/csv', 'x-amz-server-side-encryption': 'aws:kms' } });
    if (put.status !== 200) throw new Error(`upload: ${put.status} ${await put.text()}`);
    const uploadSec = (performance.now() - started) / 1000;
    console.log(`upload: ${fmt(csv.length / 1024 / 1024)} MB in ${fmt(uploadSec, 2)} s`);

    started = performance.now();
    await idpCall(url, 'StartUserImportJob', { UserPoolId: poolId, JobId: job.JobId });
    let done: any;
    for (;;) {
      done = (await idpCall(url, 'DescribeUserImportJob', { UserPoolId: poolId, JobId: job.JobId })).UserImportJob;
      if (!['Pending', 'InProgress'].includes(done.Status)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const wallSec = (performance.now() - started) / 1000;
    const jobSec = done.CompletionDate - done.StartDate;
    console.log(`job: ${done.Status}, imported ${fmt(done.ImportedUsers, 0)}, skipped ${done.SkippedUsers}, failed ${done.FailedUsers}`);
    console.log(`import: ${fmt(ROWS, 0)} rows in ${fmt(jobSec, 2)} s (${fmt(ROWS / jobSec, 0)} rows/s; ${fmt(wallSec, 2)} s from Start to seeing it done)`);
    console.log(`database: ${fmt((await running.app.store.db.sizeBytes()) / 1024 / 1024)} MB`);
  } finally {
    await running.close();
    await rm(dir, { recursive: true, force: true });
  }
}
