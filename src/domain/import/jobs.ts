import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { App, Random } from '../../app.ts';
import type { Clock } from '../../clock.ts';
import { CognitoError, invalidParameter, resourceNotFound } from '../../errors.ts';
import type { CreateUserImportJobRequest, UserImportJobStatusType, UserImportJobType } from '../../generated/cognito-idp.ts';
import type { StoredImportJob } from '../../store/repos/import-jobs.ts';
import type { Store } from '../../store/store.ts';
import { decodeToken, encodeToken, randomString } from '../../util/ids.ts';
import type { UserPool } from '../types.ts';
import { getPool } from '../pools/user-pools.ts';

/** What an import needs: the server's App satisfies it, and so does `tobira import-users`. */
export interface ImportContext {
  store: Store;
  clock: Clock;
  random: Random;
  log?: Logger;
}

// Cognito's documented limits and times (developer guide, "Creating the user import .csv file"
// and "Creating and running the Amazon Cognito user pool import job").
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
export const MAX_USERS = 500_000;
export const MAX_ROW_CHARS = 16_000;
/** "The PRE_SIGNED_URL returned in the response is valid for 15 minutes." */
export const UPLOAD_URL_TTL_MS = 15 * 60_000;
/** "You created a job, but did not start the job within 24-48 hours": Tobira takes 24 hours. */
export const EXPIRE_AFTER_MS = 24 * 3600_000;
/** A run writes a heartbeat with each batch; one silent this long died with its process. */
export const STALE_AFTER_MS = 60_000;

/** The jobs still running, whose heartbeat says whether their process is alive. */
export const ACTIVE: readonly UserImportJobStatusType[] = ['Pending', 'InProgress', 'Stopping'];

export const STOPPED_MESSAGE = 'The Import Job was stopped by the developer.';
// Guessed: Cognito's text for a run cut short is not documented (Tobira's own case: a restart).
export const INTERRUPTED_MESSAGE = 'The import job was interrupted: the Tobira server running it stopped.';
const EXPIRED_MESSAGE = 'The import job was not started within 24 hours of its creation.';

/**
 * GetCSVHeader: the pool's attributes in schema order (standard ones, then custom ones), `sub`
 * left out, then cognito:mfa_enabled and cognito:username, as Cognito lists them.
 */
export function csvHeader(pool: UserPool): string[] {
  const names = (pool.config.SchemaAttributes ?? []).map((a) => a.Name!).filter((n) => n && n !== 'sub');
  return [...names, 'cognito:mfa_enabled', 'cognito:username'];
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** The upload URL's path; http/import-upload.ts serves it. */
export const uploadPath = (jobId: string) => `/_tobira/import-uploads/${jobId}`;

/**
 * CreateUserImportJob: a job in Created with a pre-signed URL, valid 15 minutes, that takes the
 * CSV by PUT as S3's would. The URL carries a random token; only its hash is kept for checking.
 */
/** A job with nothing counted yet: what CreateUserImportJob and `tobira import-users` start from. */
export function newImportJob(
  j: Pick<StoredImportJob, 'jobId' | 'poolId' | 'jobName' | 'status' | 'createdAt'> & Partial<StoredImportJob>,
): StoredImportJob {
  return {
    roleArn: null,
    preSignedUrl: null,
    uploadTokenHash: null,
    uploadExpiresAt: null,
    uploadId: null,
    uploadBytes: null,
    rowsTotal: null,
    rowsDone: 0,
    importedUsers: 0,
    skippedUsers: 0,
    failedUsers: 0,
    completionMessage: null,
    startedAt: null,
    completedAt: null,
    heartbeatAt: null,
    ...j,
  };
}

export async function createImportJob(app: App, input: CreateUserImportJobRequest): Promise<StoredImportJob> {
  const pool = await getPool(app.store, input.UserPoolId);
  const now = app.clock.now();
  const jobId = `import-${randomString(app.random, 10)}`;
  const token = app.random.bytes(32).toString('hex');
  const expires = now + UPLOAD_URL_TTL_MS;
  const amzDate = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  // S3's query parameter names, so the URL reads as the presigned URL it stands for; only the
  // signature (Tobira's token) and the stored expiry are checked.
  const url =
    `${app.publicUrl()}${uploadPath(jobId)}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=${amzDate}` +
    `&X-Amz-Expires=${UPLOAD_URL_TTL_MS / 1000}&X-Amz-SignedHeaders=host%3Bx-amz-server-side-encryption&X-Amz-Signature=${token}`;
  const job = newImportJob({
    jobId,
    poolId: pool.id,
    jobName: input.JobName,
    status: 'Created',
    roleArn: input.CloudWatchLogsRoleArn,
    preSignedUrl: url,
    uploadTokenHash: hashToken(token),
    uploadExpiresAt: expires,
    createdAt: now,
  });

  await app.store.importJobs.insert(job);
  // The pool's jobs left unstarted for a day expire now, so their uploads do not pile up unread.
  for (const id of await app.store.importJobs.createdBefore(pool.id, now - EXPIRE_AFTER_MS)) {
    const stale = await app.store.importJobs.get(id);
    if (stale) await settle(app, stale);
  }
  return job;
}

// Guessed text: Cognito's wording for an unknown job is not documented.
const jobNotFound = (jobId: string) => resourceNotFound(`Import job ${jobId} does not exist.`);

/** The pool's job (ResourceNotFoundException for an unknown pool or job), brought up to date. */
export async function getImportJob(ctx: ImportContext, poolId: string, jobId: string): Promise<StoredImportJob> {
  await getPool(ctx.store, poolId);
  const job = await ctx.store.importJobs.get(jobId);
  if (!job || job.poolId !== poolId) throw jobNotFound(jobId);
  return settle(ctx, job);
}

/**
 * Applies what time alone decides, when the job is read: a job left in Created for 24 hours
 * Expires (its upload is deleted, as Cognito deletes "all data associated with the job"), and a
 * running job whose heartbeat stopped (its server stopped or crashed) becomes Failed. Tobira does
 * not resume such a job: rows already imported stay, and a new job with the same file skips them
 * as existing users.
 */
export async function settle(ctx: ImportContext, job: StoredImportJob): Promise<StoredImportJob> {
  const now = ctx.clock.now();
  if (job.status === 'Created' && job.createdAt + EXPIRE_AFTER_MS <= now) {
    const changes = { status: 'Expired' as const, completionMessage: EXPIRED_MESSAGE, completedAt: now };
    if (await ctx.store.importJobs.update(job.jobId, changes, ['Created'])) {
      await ctx.store.importJobs.dropUploads(job.jobId);
      return { ...job, ...changes };
    }
    return (await ctx.store.importJobs.get(job.jobId)) ?? job;
  }
  if (ACTIVE.includes(job.status) && (job.heartbeatAt ?? job.startedAt ?? 0) + STALE_AFTER_MS <= now) {
    const stopped = job.status === 'Stopping';
    const changes = {
      status: stopped ? ('Stopped' as const) : ('Failed' as const),
      completionMessage: stopped ? STOPPED_MESSAGE : INTERRUPTED_MESSAGE,
      completedAt: now,
    };
    if (await ctx.store.importJobs.update(job.jobId, changes, [job.status])) {
      await ctx.store.importJobs.dropUploads(job.jobId);
      return { ...job, ...changes };
    }
    return (await ctx.store.importJobs.get(job.jobId)) ?? job;
  }
  return job;
}

/**
 * UserImportInProgressException for the operations that change a pool under a running import
 * (DeleteUserPool, UpdateUserPool, AddCustomAttributes, as the model lists it). The text is
 * Tobira's; Cognito's is not documented.
 */
export async function refuseWhileImporting(ctx: ImportContext, poolId: string): Promise<void> {
  for (const id of await ctx.store.importJobs.activeIn(poolId)) {
    const job = await ctx.store.importJobs.get(id);
    if (job && ACTIVE.includes((await settle(ctx, job)).status)) {
      throw new CognitoError('UserImportInProgressException', `User import job ${id} is in progress for this user pool.`);
    }
  }
}

/** ListUserImportJobs: newest first, MaxResults a page (the model bounds it to 1..60). */
export async function listImportJobs(
  ctx: ImportContext,
  poolId: string,
  maxResults: number,
  paginationToken?: string,
): Promise<{ jobs: StoredImportJob[]; next?: string }> {
  await getPool(ctx.store, poolId);
  const key = decodeToken(paginationToken);
  let after: { createdAt: number; jobId: string } | null = null;
  if (key !== null) {
    const m = /^(\d+):(import-[0-9a-zA-Z-]+)$/.exec(key);
    if (!m) throw invalidParameter('The pagination token is not valid.');
    after = { createdAt: Number(m[1]), jobId: m[2] };
  }
  const page = await ctx.store.importJobs.list(poolId, after, maxResults + 1);
  const jobs = await Promise.all(page.slice(0, maxResults).map((j) => settle(ctx, j)));
  const last = jobs[jobs.length - 1];
  return { jobs, next: page.length > maxResults && last ? encodeToken(`${last.createdAt}:${last.jobId}`) : undefined };
}

/**
 * StartUserImportJob's checks, before the job moves to Pending. The texts are Tobira's (Cognito's
 * are not documented); the rules are the guide's: a pool without auto-verified attributes cannot
 * import ("the import job will not start"), and a job starts once, from Created.
 */
export async function checkStartable(ctx: ImportContext, job: StoredImportJob): Promise<void> {
  const pool = await getPool(ctx.store, job.poolId);
  if (job.status !== 'Created') {
    throw new CognitoError('PreconditionNotMetException', `Import job ${job.jobId} cannot be started: its status is ${job.status}.`);
  }
  if (!(pool.config.AutoVerifiedAttributes ?? []).length) {
    throw new CognitoError(
      'PreconditionNotMetException',
      'The user pool has no auto-verified attributes (email or phone_number): imported users could not reset their passwords.',
    );
  }
  if (!job.uploadId) {
    throw new CognitoError('PreconditionNotMetException', `No CSV file has been uploaded to the pre-signed URL of import job ${job.jobId}.`);
  }
}

/** The job as Cognito's API answers it: dates in epoch seconds, absent fields left out. */
export function toUserImportJobType(job: StoredImportJob): UserImportJobType {
  const out: UserImportJobType = {
    JobName: job.jobName,
    JobId: job.jobId,
    UserPoolId: job.poolId,
    CreationDate: job.createdAt / 1000,
    Status: job.status,
    ImportedUsers: job.importedUsers,
    SkippedUsers: job.skippedUsers,
    FailedUsers: job.failedUsers,
  };
  if (job.preSignedUrl) out.PreSignedUrl = job.preSignedUrl;
  if (job.roleArn) out.CloudWatchLogsRoleArn = job.roleArn;
  if (job.startedAt !== null) out.StartDate = job.startedAt / 1000;
  if (job.completedAt !== null) out.CompletionDate = job.completedAt / 1000;
  if (job.completionMessage) out.CompletionMessage = job.completionMessage;
  return out;
}
