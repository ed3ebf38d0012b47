import type { Sql } from '../db.ts';
import type { UserImportJobStatusType } from '../../generated/cognito-idp.ts';

/** A user import job as stored (domain/import/jobs.ts). Times are epoch milliseconds. */
export interface StoredImportJob {
  jobId: string;
  poolId: string;
  jobName: string;
  status: UserImportJobStatusType;
  /** CloudWatchLogsRoleArn as given; null for jobs the `tobira import-users` command ran. */
  roleArn: string | null;
  preSignedUrl: string | null;
  /** sha256 (hex) of the upload URL's token. */
  uploadTokenHash: string | null;
  uploadExpiresAt: number | null;
  /** The last complete upload of the CSV (user_import_uploads), null before one. */
  uploadId: string | null;
  uploadBytes: number | null;
  rowsTotal: number | null;
  rowsDone: number;
  importedUsers: number;
  skippedUsers: number;
  failedUsers: number;
  completionMessage: string | null;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  /** Last sign of life of the run (each batch); a run silent for long was interrupted. */
  heartbeatAt: number | null;
}

interface Row {
  job_id: string;
  pool_id: string;
  job_name: string;
  status: string;
  role_arn: string | null;
  pre_signed_url: string | null;
  upload_token_hash: string | null;
  upload_expires_at: number | null;
  upload_id: string | null;
  upload_bytes: number | null;
  rows_total: number | null;
  rows_done: number;
  imported_users: number;
  skipped_users: number;
  failed_users: number;
  completion_message: string | null;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  heartbeat_at: number | null;
}

// PostgreSQL answers BIGINT as strings.
const num = (v: number | string | null) => (v === null || v === undefined ? null : Number(v));

const fromRow = (r: Row): StoredImportJob => ({
  jobId: r.job_id,
  poolId: r.pool_id,
  jobName: r.job_name,
  status: r.status as UserImportJobStatusType,
  roleArn: r.role_arn,
  preSignedUrl: r.pre_signed_url,
  uploadTokenHash: r.upload_token_hash,
  uploadExpiresAt: num(r.upload_expires_at),
  uploadId: r.upload_id,
  uploadBytes: num(r.upload_bytes),
  rowsTotal: num(r.rows_total),
  rowsDone: Number(r.rows_done),
  importedUsers: Number(r.imported_users),
  skippedUsers: Number(r.skipped_users),
  failedUsers: Number(r.failed_users),
  completionMessage: r.completion_message,
  createdAt: Number(r.created_at),
  startedAt: num(r.started_at),
  completedAt: num(r.completed_at),
  heartbeatAt: num(r.heartbeat_at),
});

/** Where a page of ListUserImportJobs ends (newest first). */
export interface ImportJobCursor {
  createdAt: number;
  jobId: string;
}

/** A job's fields a run or a transition changes. */
export type ImportJobChanges = Partial<Omit<StoredImportJob, 'jobId' | 'poolId' | 'jobName' | 'createdAt'>>;

const COLUMN: Record<keyof ImportJobChanges, string> = {
  status: 'status',
  roleArn: 'role_arn',
  preSignedUrl: 'pre_signed_url',
  uploadTokenHash: 'upload_token_hash',
  uploadExpiresAt: 'upload_expires_at',
  uploadId: 'upload_id',
  uploadBytes: 'upload_bytes',
  rowsTotal: 'rows_total',
  rowsDone: 'rows_done',
  importedUsers: 'imported_users',
  skippedUsers: 'skipped_users',
  failedUsers: 'failed_users',
  completionMessage: 'completion_message',
  startedAt: 'started_at',
  completedAt: 'completed_at',
  heartbeatAt: 'heartbeat_at',
};

export class ImportJobRepo {
  constructor(private readonly sql: Sql) {}

  async insert(j: StoredImportJob): Promise<void> {
    await this.sql.run(
      `INSERT INTO user_import_jobs (job_id, pool_id, job_name, status, role_arn, pre_signed_url, upload_token_hash,
        upload_expires_at, upload_id, upload_bytes, rows_total, rows_done, imported_users, skipped_users, failed_users,
        completion_message, created_at, started_at, completed_at, heartbeat_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        j.jobId, j.poolId, j.jobName, j.status, j.roleArn, j.preSignedUrl, j.uploadTokenHash, j.uploadExpiresAt,
        j.uploadId, j.uploadBytes, j.rowsTotal, j.rowsDone, j.importedUsers, j.skippedUsers, j.failedUsers,
        j.completionMessage, j.createdAt, j.startedAt, j.completedAt, j.heartbeatAt,
      ],
    );
  }

  async get(jobId: string): Promise<StoredImportJob | undefined> {
    const row = await this.sql.get<Row>('SELECT * FROM user_import_jobs WHERE job_id = ?', [jobId]);
    return row && fromRow(row);
  }

  /** One page of a pool's jobs, newest first, after `after`. */
  async list(poolId: string, after: ImportJobCursor | null, limit: number): Promise<StoredImportJob[]> {
    const rows = after
      ? await this.sql.all<Row>(
          'SELECT * FROM user_import_jobs WHERE pool_id = ? AND (created_at < ? OR (created_at = ? AND job_id < ?)) ORDER BY created_at DESC, job_id DESC LIMIT ?',
          [poolId, after.createdAt, after.createdAt, after.jobId, limit],
        )
      : await this.sql.all<Row>('SELECT * FROM user_import_jobs WHERE pool_id = ? ORDER BY created_at DESC, job_id DESC LIMIT ?', [poolId, limit]);
    return rows.map(fromRow);
  }

  /** The ids of a pool's jobs that are running (Pending, InProgress or Stopping). */
  async activeIn(poolId: string): Promise<string[]> {
    const rows = await this.sql.all<{ job_id: string }>(
      "SELECT job_id FROM user_import_jobs WHERE pool_id = ? AND status IN ('Pending', 'InProgress', 'Stopping')",
      [poolId],
    );
    return rows.map((r) => r.job_id);
  }

  /** The ids of a pool's jobs in Created since before `before` (each due to expire). */
  async createdBefore(poolId: string, before: number): Promise<string[]> {
    const rows = await this.sql.all<{ job_id: string }>(
      "SELECT job_id FROM user_import_jobs WHERE pool_id = ? AND status = 'Created' AND created_at <= ? ORDER BY created_at LIMIT 100",
      [poolId, before],
    );
    return rows.map((r) => r.job_id);
  }

  /**
   * Sets `changes` when the job's status is one of `from` (any status when omitted); false, changing
   * nothing, otherwise. One conditional statement, so two nodes cannot both make one transition.
   */
  async update(jobId: string, changes: ImportJobChanges, from?: readonly UserImportJobStatusType[]): Promise<boolean> {
    const keys = Object.keys(changes) as (keyof ImportJobChanges)[];
    const sets = keys.map((k) => `${COLUMN[k]} = ?`);
    const params = keys.map((k) => changes[k] as string | number | null);
    let where = 'job_id = ?';
    params.push(jobId);
    if (from) {
      where += ` AND status IN (${from.map(() => '?').join(', ')})`;
      params.push(...from);
    }
    const r = await this.sql.run(`UPDATE user_import_jobs SET ${sets.join(', ')} WHERE ${where}`, params);
    return r.changes === 1;
  }

  /** One piece (base64) of an upload in progress. */
  async addChunk(jobId: string, uploadId: string, seq: number, data: string): Promise<void> {
    await this.sql.run('INSERT INTO user_import_uploads (job_id, upload_id, seq, data) VALUES (?, ?, ?, ?)', [jobId, uploadId, seq, data]);
  }

  async chunk(jobId: string, uploadId: string, seq: number): Promise<string | undefined> {
    const row = await this.sql.get<{ data: string }>('SELECT data FROM user_import_uploads WHERE job_id = ? AND upload_id = ? AND seq = ?', [jobId, uploadId, seq]);
    return row?.data;
  }

  /** Removes one upload (an aborted one), or every upload of the job but `keep`. */
  async dropUploads(jobId: string, opts: { only?: string; keep?: string } = {}): Promise<void> {
    if (opts.only !== undefined) await this.sql.run('DELETE FROM user_import_uploads WHERE job_id = ? AND upload_id = ?', [jobId, opts.only]);
    else if (opts.keep !== undefined) await this.sql.run('DELETE FROM user_import_uploads WHERE job_id = ? AND upload_id <> ?', [jobId, opts.keep]);
    else await this.sql.run('DELETE FROM user_import_uploads WHERE job_id = ?', [jobId]);
  }

  async appendLog(jobId: string, seq: number, entry: string): Promise<void> {
    await this.sql.run('INSERT INTO user_import_log (job_id, seq, entry) VALUES (?, ?, ?)', [jobId, seq, entry]);
  }

  /** The log entries after `afterSeq`, in order. */
  async log(jobId: string, afterSeq: number, limit: number): Promise<{ seq: number; entry: string }[]> {
    const rows = await this.sql.all<{ seq: number; entry: string }>(
      'SELECT seq, entry FROM user_import_log WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      [jobId, afterSeq, limit],
    );
    return rows.map((r) => ({ seq: Number(r.seq), entry: r.entry }));
  }

  async lastLogSeq(jobId: string): Promise<number> {
    const row = await this.sql.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM user_import_log WHERE job_id = ?', [jobId]);
    return Number(row?.seq ?? 0);
  }
}
