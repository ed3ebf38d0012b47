import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { secureRandom } from '../app.ts';
import { systemClock } from '../clock.ts';
import { defaultConfig } from '../config.ts';
import { MAX_FILE_BYTES, newImportJob, type ImportContext } from '../domain/import/jobs.ts';
import { runImport, type Progress } from '../domain/import/run.ts';
import { getPool } from '../domain/pools/user-pools.ts';
import { Store } from '../store/store.ts';
import { randomString } from '../util/ids.ts';
import { flagString, UsageError, type ParsedArgs } from './args.ts';
import { openStoredData } from './data.ts';

export interface ImportUsersIo {
  out: (line: string) => void;
  /** Progress: a redrawn bar on a terminal, plain lines otherwise. */
  progress: NodeJS.WriteStream;
}

const n = (v: number) => v.toLocaleString('en-US');

/**
 * `tobira import-users users.csv --pool ID [--data-dir DIR | --database-url URL]`: what a user
 * import job does, straight into the store (a server may be running on it): the same checks,
 * the same RESET_REQUIRED users, the same log, and a job in ListUserImportJobs. Prints progress,
 * then the outcome and the skipped and failed rows. Ctrl-C stops the job after its batch.
 * Exit code 0 when the job Succeeded, 1 otherwise.
 */
export async function importUsers(args: ParsedArgs, io: ImportUsersIo = { out: (l) => process.stdout.write(`${l}\n`), progress: process.stderr }): Promise<void> {
  const file = args.positional[0];
  const poolId = flagString(args, 'pool');
  if (!file || !poolId || args.positional.length > 1) throw new UsageError('usage: tobira import-users <file.csv> --pool <ID>');
  const size = (await stat(file).catch(() => {
    throw new Error(`cannot read ${file}`);
  })).size;
  if (size > MAX_FILE_BYTES) throw new Error(`${file} has ${n(size)} bytes; Cognito takes at most 100 MB (${n(MAX_FILE_BYTES)} bytes) a job: split it.`);

  const config = defaultConfig();
  config.dataDir = flagString(args, 'data-dir') ?? config.dataDir;
  config.databaseUrl = flagString(args, 'database-url') ?? config.databaseUrl;
  const db = await openStoredData(config, 'give --data-dir or --database-url');
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    io.out('stopping after the current batch (Ctrl-C)');
  };
  process.on('SIGINT', onSigint);
  try {
    const ctx: ImportContext = { store: new Store(db), clock: systemClock, random: secureRandom };
    const pool = await getPool(ctx.store, poolId);
    // StartUserImportJob's rule: without an auto-verified attribute no user could reset a password.
    if (!(pool.config.AutoVerifiedAttributes ?? []).length) {
      throw new Error(`user pool ${poolId} has no auto-verified attributes (email or phone_number): imported users could not reset their passwords`);
    }
    const now = ctx.clock.now();
    const job = newImportJob({
      jobId: `import-${randomString(ctx.random, 10)}`,
      poolId,
      jobName: (flagString(args, 'job-name') ?? `tobira-import-users-${basename(file)}`).replace(/[^\w\s+=,.@-]/g, '_').slice(0, 128),
      status: 'Pending',
      uploadBytes: size,
      createdAt: now,
      startedAt: now,
      heartbeatAt: now,
    });

    await ctx.store.importJobs.insert(job);
    io.out(`${job.jobId}: importing ${file} (${n(size)} bytes) into ${poolId}`);
    const bar = progressReporter(io.progress);
    const done = await runImport(ctx, job.jobId, () => createReadStream(file, { highWaterMark: 1024 * 1024 }), {
      shouldStop: () => interrupted,
      onProgress: bar.update,
    });
    bar.end();
    io.out(
      `${done.jobId}: ${done.status}: imported ${n(done.importedUsers)}, skipped ${n(done.skippedUsers)}, failed ${n(done.failedUsers)}` +
        (done.completionMessage ? ` (${done.completionMessage})` : ''),
    );
    // The first skipped and failed rows here; all of them in the job's log.
    const entries = await ctx.store.importJobs.log(done.jobId, 0, 21);
    const rows = entries.map((e) => JSON.parse(e.entry)).filter((e) => e.line !== undefined);
    for (const e of rows.slice(0, 20)) io.out(`  line ${e.line}: ${e.outcome} ${e.message}`);
    if (done.skippedUsers + done.failedUsers > 20) io.out(`  ... the whole log: GET /_tobira/import-jobs/${done.jobId}/log on the server`);
    if (done.status !== 'Succeeded') process.exitCode = 1;
  } finally {
    process.off('SIGINT', onSigint);
    await db.close();
  }
}

/** A bar redrawn in place on a terminal; a plain line at each tenth otherwise. */
function progressReporter(stream: NodeJS.WriteStream): { update: (p: Progress) => void; end: () => void } {
  const tty = Boolean(stream.isTTY);
  const started = Date.now();
  let lastTenth = -1;
  let lastDraw = 0;
  let drawn = false;
  const line = (p: Progress) => {
    const rate = p.rowsDone / Math.max((Date.now() - started) / 1000, 0.001);
    return `${n(p.rowsDone)}/${n(p.rowsTotal)} rows  imported ${n(p.imported)}  skipped ${n(p.skipped)}  failed ${n(p.failed)}  ${n(Math.round(rate))} rows/s`;
  };
  return {
    update(p) {
      const share = p.rowsTotal ? p.rowsDone / p.rowsTotal : 1;
      if (tty) {
        if (Date.now() - lastDraw < 100 && share < 1) return;
        lastDraw = Date.now();
        const width = 30;
        const filled = Math.round(share * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${line(p)}\x1b[K`);
        drawn = true;
        return;
      }
      const tenth = Math.floor(share * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      stream.write(`${tenth * 10}%  ${line(p)}\n`);
    },
    end() {
      if (tty && drawn) stream.write('\n');
    },
  };
}
