import { createHash, timingSafeEqual } from 'node:crypto';
import { hashToken, MAX_FILE_BYTES, type ImportContext } from './jobs.ts';

/**
 * An upload the pre-signed URL refuses, in S3's terms (the client is curl or an S3-minded tool):
 * HTTP status, S3 error code, message. http/import-upload.ts writes it as S3's XML error.
 */
export class UploadRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'UploadRefused';
  }
}

/** Stored pieces of about this size (base64 in user_import_uploads). */
const CHUNK_BYTES = 1024 * 1024;

// S3's own texts for these refusals.
const accessDenied = () => new UploadRefused(403, 'AccessDenied', 'Access Denied');
const tooLarge = () => new UploadRefused(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');

/** Checks the URL's token and expiry before any byte is read. */
export async function checkUploadUrl(ctx: ImportContext, jobId: string, token: string | undefined, declaredLength: number | undefined): Promise<void> {
  const job = await ctx.store.importJobs.get(jobId);
  if (!job?.uploadTokenHash || !token) throw accessDenied();
  const given = Buffer.from(hashToken(token), 'hex');
  const expected = Buffer.from(job.uploadTokenHash, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UploadRefused(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
  }
  if ((job.uploadExpiresAt ?? 0) <= ctx.clock.now()) throw new UploadRefused(403, 'AccessDenied', 'Request has expired');
  if (job.status !== 'Created') throw new UploadRefused(403, 'AccessDenied', `Import job ${jobId} is ${job.status}: its upload URL takes no more files.`);
  if (declaredLength !== undefined && declaredLength > MAX_FILE_BYTES) throw tooLarge();
}

/**
 * Stores the CSV as it streams in, never more than MAX_FILE_BYTES (Cognito's 100 MB): the bytes
 * go to the store in pieces under a new upload id, and only a complete upload becomes the job's
 * (one transaction), replacing an earlier one as S3 overwrites an object. A refused, aborted or
 * failed upload leaves nothing behind. Returns S3's ETag (the MD5 of the bytes) and the size.
 */
export async function storeUpload(ctx: ImportContext, jobId: string, body: AsyncIterable<Buffer>): Promise<{ etag: string; bytes: number }> {
  const repo = ctx.store.importJobs;
  const uploadId = ctx.random.bytes(8).toString('hex');
  const md5 = createHash('md5');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let bytes = 0;
  let seq = 0;
  const flush = async () => {
    if (!pendingBytes) return;
    const piece = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await repo.addChunk(jobId, uploadId, seq++, piece.toString('base64'));
  };
  try {
    for await (const data of body) {
      bytes += data.length;
      if (bytes > MAX_FILE_BYTES) throw tooLarge();
      md5.update(data);
      pending.push(data);
      pendingBytes += data.length;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
    const taken = await ctx.store.tx(async (s) => {
      const job = await s.importJobs.get(jobId);
      if (!job || job.status !== 'Created') return false;
      await s.importJobs.update(jobId, { uploadId, uploadBytes: bytes }, ['Created']);
      await s.importJobs.dropUploads(jobId, { keep: uploadId });
      return true;
    });
    if (!taken) throw new UploadRefused(403, 'AccessDenied', `Import job ${jobId} started while the file was uploading.`);
  } catch (err) {
    await repo.dropUploads(jobId, { only: uploadId }).catch(() => undefined);
    throw err;
  }
  return { etag: md5.digest('hex'), bytes };
}
