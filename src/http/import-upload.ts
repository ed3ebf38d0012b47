import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.ts';
import { checkUploadUrl, storeUpload, UploadRefused } from '../domain/import/upload.ts';
import { interruptRuns } from '../domain/import/run.ts';
import { isOperator } from './operator-access.ts';
import { registerRoutes } from './server.ts';

type UploadRequest = FastifyRequest<{ Params: { jobId: string }; Querystring: Record<string, string | undefined> }>;

/** S3's error document, which curl prints and S3-minded tools read. */
function s3Error(reply: FastifyReply, status: number, code: string, message: string, opts: { close?: boolean } = {}) {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  reply.code(status).header('content-type', 'application/xml');
  // The rest of a refused body is not read: the connection goes with the answer.
  if (opts.close) reply.header('connection', 'close');
  return reply.send(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message></Error>\n`);
}

// x-amz-server-side-encryption as the AWS docs' curl sends it (aws:kms), or S3's other value.
const ENCRYPTIONS = new Set(['aws:kms', 'AES256', 'aws:kms:dsse']);

/**
 * PUT /_tobira/import-uploads/<jobId>?...&X-Amz-Signature=<token>: the pre-signed URL of
 * CreateUserImportJob, taking the CSV as S3 would (any Content-Type; curl -T sends none,
 * browsers text/csv). The body streams into the store, bounded at Cognito's 100 MB; the answer is
 * S3's: 200 with the ETag, or S3's XML error (403 for a wrong, expired or spent URL, 400
 * EntityTooLarge).
 *
 * GET /_tobira/import-jobs/<jobId>/log: the job's log, one JSON object a line (each skipped or
 * failed row with its line number and reason, then the outcome), for operators only (loopback or
 * the admin token), as Cognito writes it to CloudWatch Logs.
 */
export function importRoutes(server: FastifyInstance, app: App): void {
  // In a context of its own, so the body reaches the handler as a stream instead of being read
  // whole by the server's buffering parser (and its 1 MB limit).
  server.register(async (uploads) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    uploads.put('/_tobira/import-uploads/:jobId', async (req: UploadRequest, reply) => {
      const length = req.headers['content-length'];
      const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined;
      const sse = req.headers['x-amz-server-side-encryption'];
      try {
        if (sse !== undefined && !ENCRYPTIONS.has(String(sse))) {
          throw new UploadRefused(400, 'InvalidArgument', `The encryption method specified is not supported: ${String(sse)}`);
        }
        await checkUploadUrl(app, req.params.jobId, req.query?.['X-Amz-Signature'], declared);
        const { etag } = await storeUpload(app, req.params.jobId, req.raw);
        reply.code(200).header('etag', `"${etag}"`);
        if (sse !== undefined) reply.header('x-amz-server-side-encryption', String(sse));
        return reply.send('');
      } catch (err) {
        if (err instanceof UploadRefused) return s3Error(reply, err.status, err.code, err.message, { close: !req.raw.readableEnded });
        // A body cut short (the client went away, or the request timeout struck): S3's answer,
        // which no one may be left to read. Anything else is Tobira's fault.
        if (req.raw.destroyed || !req.raw.complete) {
          return s3Error(reply, 400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.', { close: true });
        }
        app.log.error({ err }, 'import upload failed');
        return s3Error(reply, 500, 'InternalError', 'We encountered an internal error. Please try again.', { close: !req.raw.readableEnded });
      }
    });
  });

  server.get('/_tobira/import-jobs/:jobId/log', async (req: FastifyRequest<{ Params: { jobId: string } }>, reply) => {
    if (!isOperator(app, req)) {
      return reply.code(403).header('content-type', 'application/json').send(JSON.stringify({ message: 'Forbidden' }));
    }
    const job = await app.store.importJobs.get(req.params.jobId);
    if (!job) return reply.code(404).header('content-type', 'application/json').send(JSON.stringify({ message: `Import job ${req.params.jobId} does not exist.` }));
    const lines = async function* () {
      for (let after = 0; ; ) {
        const page = await app.store.importJobs.log(job.jobId, after, 1000);
        if (!page.length) return;
        yield page.map((p) => `${p.entry}\n`).join('');
        after = page[page.length - 1].seq;
      }
    };
    reply.header('content-type', 'application/x-ndjson').header('cache-control', 'no-store');
    return reply.send(Readable.from(lines()));
  });

  // A server that stops ends its runs first (each marked Failed, "interrupted"), before the
  // database closes under them.
  server.addHook('onClose', async () => {
    await interruptRuns(app.store);
  });
}

registerRoutes(importRoutes);
