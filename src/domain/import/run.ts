import type { Random } from '../../app.ts';
import { CognitoError } from '../../errors.ts';
import type { StoredImportJob } from '../../store/repos/import-jobs.ts';
import type { Store } from '../../store/store.ts';
import { uuid } from '../../util/ids.ts';
import { validateAttributes } from '../users/attributes.ts';
import { resolveNewUsername } from '../users/user-create.ts';
import { aliasKeysFor, newUser } from '../users/users.ts';
import type { User, UserPool } from '../types.ts';
import { csvRecords, CsvSyntaxError, type CsvRecord } from './csv.ts';
import { checkStartable, csvHeader, getImportJob, INTERRUPTED_MESSAGE, MAX_ROW_CHARS, MAX_USERS, STOPPED_MESSAGE, type ImportContext } from './jobs.ts';

/** Where a run reads the CSV from: called once per pass (the file is read twice). */
export type CsvSource = () => AsyncIterable<Uint8Array>;

export interface Progress {
  rowsTotal: number;
  rowsDone: number;
  imported: number;
  skipped: number;
  failed: number;
}

/** Users written per transaction: large enough to be fast, small enough to keep others waiting little. */
export const BATCH_ROWS = 1000;

// The per-row outcomes, and the texts of Cognito's CloudWatch log lines: "[SKIPPED] Line Number
// 5956 - The user already exists." (the guide), and the auto-verified one as Cognito wrote it in
// 2024 (aws-solutions/cognito-user-profiles-export-reference-architecture#58; the guide's older
// sample ends "... attributes to true.").
const ALREADY_EXISTS = 'The user already exists.';
const NOT_AUTO_VERIFIED = 'The User Record does not set any of the auto verified attributes to verified. (Example: email_verified to true).';
// "Too many users have failed or been skipped during the import." is Cognito's (the guide's
// sample: 0 imported, 5 failed; the same issue's job: 14 imported, 32 failed). Its threshold is
// not documented: Tobira fails a job whose skipped and failed rows outnumber its imported ones.
// The success text is guessed.
const SUCCEEDED_MESSAGE = 'Import Job Completed Successfully.';
const TOO_MANY_FAILED = 'Too many users have failed or been skipped during the import.';

type Outcome = { outcome: 'IMPORTED' } | { outcome: 'SKIPPED' | 'FAILED'; message: string };

/** A problem with the whole file: the job fails with this as its CompletionMessage. */
class ImportFileError extends Error {}

/** The jobs this process is running, so a Stop or a shutdown reaches them at once. */
const running = new Map<string, { store: Store; stop: () => void; done: Promise<unknown> }>();

/** Waits (at most `ms`) for this process's run of the job to end, if it has one. */
export async function waitForRun(jobId: string, ms: number): Promise<void> {
  const run = running.get(jobId);
  if (!run) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([run.done, new Promise((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** Asks this process's run of the job to stop after its current batch. */
export function signalStop(jobId: string): void {
  running.get(jobId)?.stop();
}

/**
 * Ends every run on this store (a server closing): each stops after its batch and is marked
 * Failed with INTERRUPTED_MESSAGE, so no job stays InProgress behind a closed database.
 */
export async function interruptRuns(store: Store): Promise<void> {
  const mine = [...running.values()].filter((r) => r.store === store);
  for (const r of mine) r.stop();
  await Promise.allSettled(mine.map((r) => r.done));
}

/** The stored upload of a job, chunk by chunk. */
export function storedSource(store: Store, jobId: string, uploadId: string): CsvSource {
  return async function* () {
    for (let seq = 0; ; seq++) {
      const data = await store.importJobs.chunk(jobId, uploadId, seq);
      if (data === undefined) return;
      yield Buffer.from(data, 'base64');
    }
  };
}

/**
 * Runs a Pending job in the background of this process (StartUserImportJob). Errors end in the
 * job (Failed), never in the caller.
 */
export function launchRun(ctx: ImportContext, job: StoredImportJob): void {
  let stop = false;
  const done = Promise.resolve()
    .then(() => runImport(ctx, job.jobId, storedSource(ctx.store, job.jobId, job.uploadId!), { shouldStop: () => stop, interruptible: true }))
    .catch((err) => ctx.log?.error({ err, jobId: job.jobId }, 'user import job failed'))
    .finally(() => running.delete(job.jobId));
  running.set(job.jobId, { store: ctx.store, stop: () => (stop = true), done });
}

/**
 * Runs a Pending job to its end: first a pass over the whole file that checks its header, its
 * syntax and its size (a file Cognito "is unable to parse" fails the job before any user is
 * written), then the import, BATCH_ROWS users a transaction. Each batch commits its users, the
 * job's counts and heartbeat and the log of its skipped and failed rows together, and first reads
 * the job's status: a Stop (from any node) ends the run there. Returns the job as it ended.
 */
export async function runImport(
  ctx: ImportContext,
  jobId: string,
  source: CsvSource,
  opts: { shouldStop?: () => boolean; interruptible?: boolean; onProgress?: (p: Progress) => void } = {},
): Promise<StoredImportJob> {
  const repo = ctx.store.importJobs;
  const job = await repo.get(jobId);
  if (!job) throw new Error(`import job ${jobId} does not exist`);
  let logSeq = await repo.lastLogSeq(jobId);
  const log = async (s: Store, entry: Record<string, unknown>) => {
    await s.importJobs.appendLog(jobId, ++logSeq, JSON.stringify({ time: new Date(ctx.clock.now()).toISOString(), ...entry }));
  };
  const finish = async (status: 'Succeeded' | 'Failed' | 'Stopped', message: string, counts: Progress) => {
    await ctx.store.tx(async (s) => {
      // A Stop that arrived while the last batch ran still wins: the job was stopped.
      const now = ctx.clock.now();
      const current = await s.importJobs.get(jobId);
      const final = current?.status === 'Stopping' && status !== 'Failed' ? 'Stopped' : status;
      const text = final === 'Stopped' ? STOPPED_MESSAGE : message;
      await s.importJobs.update(jobId, { status: final, completionMessage: text, completedAt: now, heartbeatAt: now }, ['Pending', 'InProgress', 'Stopping']);
      await log(s, { outcome: final.toUpperCase(), message: text, imported: counts.imported, skipped: counts.skipped, failed: counts.failed });
      // The file held personal data; once the run is over it is not kept.
      await s.importJobs.dropUploads(jobId);
    });
    const ended = await repo.get(jobId);
    if (!ended) throw new Error(`import job ${jobId} was deleted with its user pool`);
    return ended;
  };

  const counts: Progress = { rowsTotal: 0, rowsDone: job.rowsDone, imported: job.importedUsers, skipped: job.skippedUsers, failed: job.failedUsers };
  const now = ctx.clock.now();
  if (!(await repo.update(jobId, { status: 'InProgress', heartbeatAt: now, startedAt: job.startedAt ?? now }, ['Pending']))) {
    // Stopped before it began.
    if ((await repo.get(jobId))?.status === 'Stopping') return finish('Stopped', STOPPED_MESSAGE, counts);
    return (await repo.get(jobId))!;
  }
  try {
    const pool = await ctx.store.pools.get(job.poolId);
    if (!pool) return finish('Failed', 'The user pool has been deleted.', counts);
    const header = await checkFile(ctx, jobId, pool, source);
    counts.rowsTotal = header.rows;
    await repo.update(jobId, { rowsTotal: header.rows, heartbeatAt: ctx.clock.now() });
    opts.onProgress?.({ ...counts });

    let batch: CsvRecord[] = [];
    let first = true;
    const write = async (rows: CsvRecord[], checked: (Candidate | Outcome)[]): Promise<'stopped' | undefined> => {
      // Counted apart and added after the commit: PostgreSQL may run the transaction again.
      let delta = { rows: 0, imported: 0, skipped: 0, failed: 0 };
      const stopped = await ctx.store.tx(async (s) => {
        delta = { rows: 0, imported: 0, skipped: 0, failed: 0 };
        const current = await s.importJobs.get(jobId);
        if (!current || current.status !== 'InProgress') return true;
        const outcomes = await importRows(s, pool, checked);
        for (let i = 0; i < rows.length; i++) {
          const r = outcomes[i];
          delta.rows++;
          if (r.outcome === 'IMPORTED') delta.imported++;
          else {
            if (r.outcome === 'SKIPPED') delta.skipped++;
            else delta.failed++;
            await log(s, { line: rows[i].line, outcome: r.outcome, message: r.message });
          }
        }
        await s.importJobs.update(jobId, {
          rowsDone: counts.rowsDone + delta.rows,
          importedUsers: counts.imported + delta.imported,
          skippedUsers: counts.skipped + delta.skipped,
          failedUsers: counts.failed + delta.failed,
          heartbeatAt: ctx.clock.now(),
        });
        return false;
      });
      if (!stopped) {
        counts.rowsDone += delta.rows;
        counts.imported += delta.imported;
        counts.skipped += delta.skipped;
        counts.failed += delta.failed;
      }
      opts.onProgress?.({ ...counts });
      // Other requests get the database between batches.
      await new Promise((r) => setImmediate(r));
      return stopped ? 'stopped' : undefined;
    };
    // The batch being written. The next one is read and checked meanwhile (on PostgreSQL this
    // process parses while the database writes), then waits for that commit before its own.
    let writing: Promise<'stopped' | undefined> | undefined;
    let submitted = 0;
    const settle = async (): Promise<'stopped' | undefined> => {
      const w = writing;
      writing = undefined;
      return w;
    };
    /** Checks the batch, waits for the one before (a Stop after it ends the run here), then starts writing it. */
    const submit = async (): Promise<'stopped' | undefined> => {
      const rows = batch;
      batch = [];
      submitted++;
      // One draw of random bytes for the batch's subs: a call per user costs more than its insert.
      const random = pooledRandom(ctx.random.bytes(16 * rows.length), ctx.random);
      const at = ctx.clock.now();
      const checked = rows.map((rec) => checkRow(random, pool, header.columns, rec, at));
      const before = writing !== undefined;
      if ((await settle()) === 'stopped' || (before && opts.shouldStop?.())) return 'stopped';
      writing = write(rows, checked);
      // Awaited by the next submit or after the last; a failure meanwhile is not unhandled.
      writing.catch(() => undefined);
      return undefined;
    };
    try {
      for await (const rec of csvRecords(source(), { maxRecordChars: MAX_ROW_CHARS })) {
        if (first) {
          first = false;
          continue;
        }
        batch.push(rec);
        if (batch.length >= BATCH_ROWS && (await submit()) === 'stopped') return stopOrInterrupt();
      }
      // As after every full batch: a Stop asked for meanwhile ends the run Stopped.
      const lastFull = !batch.length && submitted > 0;
      if (batch.length && (await submit()) === 'stopped') return stopOrInterrupt();
      if ((await settle()) === 'stopped' || (lastFull && opts.shouldStop?.())) return stopOrInterrupt();
    } finally {
      // Ending early: the batch in flight commits (or fails) before the job ends.
      await writing?.catch(() => undefined);
    }
    if (counts.skipped + counts.failed > counts.imported) return finish('Failed', TOO_MANY_FAILED, counts);
    return finish('Succeeded', SUCCEEDED_MESSAGE, counts);
  } catch (err) {
    if (err instanceof ImportFileError) return finish('Failed', err.message, counts);
    ctx.log?.error({ err, jobId }, 'user import job failed');
    return finish('Failed', 'The import job failed because of an internal error.', counts);
  }

  /** A Stop (the job says Stopping) or, for a server run, this process shutting down. */
  async function stopOrInterrupt(): Promise<StoredImportJob> {
    const current = await repo.get(jobId);
    if (current?.status === 'Stopping' || !opts.interruptible) return finish('Stopped', STOPPED_MESSAGE, counts);
    return finish('Failed', INTERRUPTED_MESSAGE, counts);
  }
}

/**
 * The first pass: the header must name exactly the columns GetCSVHeader gives (in any order),
 * the text must parse, and there may be at most MAX_USERS rows. Returns each column's index and
 * the number of rows. Keeps the job's heartbeat going on a long file.
 */
async function checkFile(ctx: ImportContext, jobId: string, pool: UserPool, source: CsvSource): Promise<{ columns: string[]; rows: number }> {
  let columns: string[] | undefined;
  let rows = 0;
  let beat = ctx.clock.now();
  try {
    for await (const rec of csvRecords(source(), { maxRecordChars: MAX_ROW_CHARS })) {
      if (!columns) {
        if (rec.tooLong) throw new ImportFileError(`The CSV header is longer than ${MAX_ROW_CHARS} characters.`);
        columns = rec.fields.map((f) => f.trim());
        checkHeader(pool, columns);
        continue;
      }
      rows++;
      if (rows > MAX_USERS) throw new ImportFileError(`The CSV file has more than ${MAX_USERS.toLocaleString('en-US')} users.`);
      if (ctx.clock.now() - beat > 5_000) {
        beat = ctx.clock.now();
        await ctx.store.importJobs.update(jobId, { heartbeatAt: beat });
      }
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw new ImportFileError(`The CSV file could not be parsed. ${err.message}`.slice(0, 128));
    throw err;
  }
  if (!columns) throw new ImportFileError('The CSV file is empty: it needs the header from GetCSVHeader.');
  return { columns, rows };
}

function checkHeader(pool: UserPool, columns: string[]): void {
  const expected = csvHeader(pool);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new ImportFileError(`The CSV header names the column ${c} twice.`.slice(0, 128));
    seen.add(c);
  }
  const unknown = columns.filter((c) => !expected.includes(c));
  if (unknown.length) throw new ImportFileError(`The CSV header has columns the user pool does not have: ${unknown.join(', ')}`.slice(0, 128));
  const missing = expected.filter((c) => !seen.has(c));
  if (missing.length) throw new ImportFileError(`The CSV header lacks columns of GetCSVHeader: ${missing.join(', ')}`.slice(0, 128));
}

const isTrue = (v: string | undefined) => v === 'true';

/** A Random that hands out the given bytes in turn, then the source's. */
function pooledRandom(pool: Buffer, source: Random): Random {
  let at = 0;
  return {
    bytes(n: number) {
      if (at + n > pool.length) return source.bytes(n);
      at += n;
      return pool.subarray(at - n, at);
    },
  };
}

/** A row that passed the checks: the user to write, and the alias keys it will hold. */
interface Candidate {
  user: User;
  aliasKeys: string[];
}

/**
 * One row, checked by the guide's rules: the RESET_REQUIRED user without a password it becomes
 * (the first sign-in answers PasswordResetRequiredException; ForgotPassword sets one), or FAILED
 * with the reason.
 */
function checkRow(random: Random, pool: UserPool, columns: string[], rec: CsvRecord, now: number): Candidate | Outcome {
  const failed = (message: string): Outcome => ({ outcome: 'FAILED', message });
  if (rec.tooLong) return failed(`The row is longer than ${MAX_ROW_CHARS.toLocaleString('en-US')} characters.`);
  if (rec.fields.length !== columns.length) return failed(`The row has ${rec.fields.length} fields; the header has ${columns.length}.`);
  // "Any leading or trailing white space in an attribute value will be trimmed."
  const row: Record<string, string> = {};
  for (let i = 0; i < columns.length; i++) row[columns[i]] = rec.fields[i].trim();

  const given = row['cognito:username'];
  if (!given) return failed('cognito:username is required.');
  if (/\s/.test(given)) return failed('cognito:username cannot contain spaces or tabs.');
  const mfa = row['cognito:mfa_enabled'].toLowerCase();
  if (mfa !== 'true' && mfa !== 'false') return failed('cognito:mfa_enabled is required and must be true or false.');
  const mfaConfig = pool.config.MfaConfiguration ?? 'OFF';
  if (mfaConfig === 'ON' && mfa !== 'true') return failed('cognito:mfa_enabled must be true: the user pool requires MFA.');
  if (mfaConfig === 'OFF' && mfa !== 'false') return failed('cognito:mfa_enabled must be false: MFA is off in the user pool.');

  const attributeList = columns
    .filter((c) => c !== 'cognito:username' && c !== 'cognito:mfa_enabled' && row[c] !== '')
    .map((c) => ({ Name: c, Value: row[c] }));
  let attrs: Record<string, string>;
  let username: string;
  const sub = uuid(random);
  try {
    attrs = validateAttributes(pool, attributeList, { mode: 'admin', creating: true, requireRequired: true });
    username = resolveNewUsername(pool, given, attrs, sub);
  } catch (err) {
    if (err instanceof CognitoError) return failed(err.message.trim());
    throw err;
  }
  for (const a of ['email', 'phone_number'] as const) {
    if (isTrue(attrs[`${a}_verified`]) && !attrs[a]) return failed(`${a}_verified is true, but the row has no ${a}.`);
  }
  if (!(pool.config.AutoVerifiedAttributes ?? []).some((a) => isTrue(attrs[`${a}_verified`]))) return failed(NOT_AUTO_VERIFIED);

  const user = newUser(pool, { username, sub, status: 'RESET_REQUIRED', attributes: attrs, now });
  // cognito:mfa_enabled is the legacy SMS MFA setting, which needs a phone number to deliver to.
  if (mfa === 'true' && attrs.phone_number) {
    user.data = { mfa: { UserMFASettingList: ['SMS_MFA'], PreferredMfaSetting: 'SMS_MFA', MFAOptions: [{ DeliveryMedium: 'SMS', AttributeName: 'phone_number' }] } };
  }
  return { user, aliasKeys: aliasKeysFor(pool, user) };
}

/**
 * Writes a batch's checked rows in a few multi-row statements, with the outcome of each row as
 * if the rows were written one after the other in file order: a username that exists (in the
 * store or earlier in the file) is SKIPPED; an email or phone number another user holds is
 * SKIPPED where it is the username, FAILED otherwise. A row that shares a username, sub or alias
 * with an earlier row of the batch goes to a later statement, so the earlier one is decided first.
 */
async function importRows(s: Store, pool: UserPool, checked: (Candidate | Outcome)[]): Promise<Outcome[]> {
  const outcomes: Outcome[] = new Array(checked.length);
  let pending = checked.map((c, i) => ({ c, i }));
  while (pending.length) {
    const run: { c: Candidate; i: number }[] = [];
    const later: typeof pending = [];
    const keys = new Set<string>();
    for (const p of pending) {
      if ('outcome' in p.c) {
        outcomes[p.i] = p.c;
        continue;
      }
      const own = [`u:${p.c.user.usernameKey}`, `s:${p.c.user.sub}`, ...p.c.aliasKeys.map((k) => `a:${k}`)];
      // A row held back holds back the later rows that share a key with it too.
      const clash = own.some((k) => keys.has(k));
      for (const k of own) keys.add(k);
      if (clash) later.push(p);
      else run.push(p as { c: Candidate; i: number });
    }
    const refused = await s.users.insertMany(run.map((p) => p.c));
    for (const p of run) {
      const why = refused.get(p.c.user.usernameKey);
      if (!why) outcomes[p.i] = { outcome: 'IMPORTED' };
      else if (why.taken === 'user') outcomes[p.i] = { outcome: 'SKIPPED', message: ALREADY_EXISTS };
      else {
        const attr = why.key.slice(0, why.key.indexOf(':'));
        // Where the email or phone number is the username, another user holding it is this user.
        outcomes[p.i] = pool.config.UsernameAttributes?.includes(attr as 'email' | 'phone_number')
          ? { outcome: 'SKIPPED', message: ALREADY_EXISTS }
          : { outcome: 'FAILED', message: `An account with the given ${attr} already exists.` };
      }
    }
    pending = later;
  }
  return outcomes;
}

/**
 * StartUserImportJob: Created to Pending, then the run starts in this process's background; the
 * answer is the job in Pending, as Cognito's sample shows it.
 */
export async function startImportJob(ctx: ImportContext, poolId: string, jobId: string): Promise<StoredImportJob> {
  const job = await getImportJob(ctx, poolId, jobId);
  await checkStartable(ctx, job);
  const now = ctx.clock.now();
  const changes = { status: 'Pending' as const, startedAt: now, heartbeatAt: now };
  if (!(await ctx.store.importJobs.update(jobId, changes, ['Created']))) {
    // Another caller started it in between: its checks now say why not.
    await checkStartable(ctx, await getImportJob(ctx, poolId, jobId));
  }
  const started = { ...job, ...changes };
  launchRun(ctx, started);
  return started;
}

/**
 * StopUserImportJob: a Pending or InProgress job becomes Stopping; its run stops after the batch
 * it is writing and the job becomes Stopped. When this process runs it, the answer waits (a few
 * seconds at most) for that, so it shows Stopped as Cognito's sample does; a run on another node
 * answers Stopping. Any other status is refused (the text is Tobira's).
 */
export async function stopImportJob(ctx: ImportContext, poolId: string, jobId: string): Promise<StoredImportJob> {
  const job = await getImportJob(ctx, poolId, jobId);
  if (!(await ctx.store.importJobs.update(jobId, { status: 'Stopping' }, ['Pending', 'InProgress']))) {
    throw new CognitoError('PreconditionNotMetException', `Import job ${jobId} cannot be stopped: its status is ${(await ctx.store.importJobs.get(jobId))?.status ?? job.status}.`);
  }
  signalStop(jobId);
  await waitForRun(jobId, 10_000);
  return getImportJob(ctx, poolId, jobId);
}
