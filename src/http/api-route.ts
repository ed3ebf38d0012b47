import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { App } from '../app.ts';
import { CognitoError } from '../errors.ts';
import { checkJsonShape } from '../util/json.ts';
import { encodeError, handleAwsJson, type WireResponse } from './aws-json.ts';

/**
 * The API's own lane: a Cognito call (`POST /` with an awsJson content type) is read and answered
 * here on Node's request and response, without fastify's routing, hooks and reply pipeline, which
 * cost about as much as the call itself on the read paths (AdminGetUser, GetUser: issue 17).
 * Everything else, and any call that is not plainly one (another content type, a path other
 * than `/`, a declared body over the limit, a server closing down), goes on to fastify, which
 * answers it as before (http/server.ts); the answers are the same bytes either way.
 */

/** The content types the SDKs, the CLI and Amplify send with a Cognito call. */
const AWS_JSON = /^application\/x-amz-json-1\.[01]$/i;

/** What a browser reads from an answer to a cross-origin call (as http/server.ts's onSend hook adds). */
export const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'x-amzn-RequestId,x-amzn-ErrorType,x-amzn-ErrorMessage,Date',
} as const;

export interface ApiRoute {
  /** Answers the request and returns true when it is a plain Cognito call; false leaves it untouched. */
  serve(req: IncomingMessage, res: ServerResponse): boolean;
  /** From now on every request goes on to fastify, which answers 503 while it closes. */
  stop(): void;
}

export function apiRoute(app: App, bodyLimit: number): ApiRoute {
  let stopped = false;
  return {
    stop() {
      stopped = true;
    },
    serve(req, res) {
      if (stopped || req.method !== 'POST' || req.url !== '/') return false;
      const type = req.headers['content-type'];
      if (type === undefined || !AWS_JSON.test(type)) return false;
      const declared = req.headers['content-length'];
      if (declared !== undefined && !(Number(declared) <= bodyLimit)) return false;
      readBody(req, bodyLimit, (refusal, text) => {
        if (refusal !== undefined) {
          // As a body parser's refusal: the client may still be sending, so the connection closes.
          res.setHeader('connection', 'close');
          send(res, encodeError(refusal, randomUUID()));
          return;
        }
        answer(app, req, res, text!);
      });
      return true;
    },
  };
}

async function answer(app: App, req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
  let out: WireResponse;
  try {
    out = await handleAwsJson(app, {
      target: header(req.headers['x-amz-target']),
      body,
      method: 'POST',
      url: '/',
      headers: req.headers,
      sourceIp: req.socket.remoteAddress ?? '',
    });
  } catch (err) {
    // handleAwsJson answers its own errors; this is a defect in it.
    const requestId = randomUUID();
    app.log.error({ requestId, err }, 'unexpected error');
    out = encodeError(new CognitoError('InternalErrorException', `An internal error occurred. Request id: ${requestId}`), requestId);
  }
  send(res, out);
}

function send(res: ServerResponse, out: WireResponse): void {
  if (res.destroyed) return;
  // Text, not bytes: Node writes the head and a text body as one string, in one write.
  res.writeHead(out.status, { ...out.headers, ...CORS_HEADERS, 'content-length': Buffer.byteLength(out.body) });
  res.end(out.body);
}

/**
 * A request's body as text, or why it is refused (a SerializationException's message): not UTF-8
 * (decoded leniently, different byte strings would become the same text), or JSON, for whichever
 * route (a Cognito call, /_tobira/token-status), too deep or too large for JSON.parse to run
 * promptly (util/json.ts). Both this lane and fastify's body parser (http/server.ts) use it.
 */
export function bodyText(bytes: Buffer): string | { refused: string } {
  if (!isUtf8(bytes)) return { refused: 'The request body is not valid UTF-8.' };
  const text = bytes.toString('utf8');
  try {
    if (/^\s*[[{]/.test(text)) checkJsonShape(text);
  } catch (err) {
    return { refused: (err as Error).message };
  }
  return text;
}

/**
 * The body as text (bodyText), or a refusal, also when it is more than `limit` bytes. A request
 * that fails while sending gets no answer.
 */
function readBody(req: IncomingMessage, limit: number, done: (refusal: CognitoError | undefined, text?: string) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  const onData = (chunk: Buffer) => {
    length += chunk.length;
    if (length > limit) {
      req.off('data', onData).off('end', onEnd);
      done(new CognitoError('InvalidParameterException', 'The request body is too large.'));
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () => {
    const text = bodyText(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length));
    if (typeof text === 'string') done(undefined, text);
    else done(new CognitoError('SerializationException', text.refused));
  };
  req.on('data', onData).on('end', onEnd).on('error', () => req.off('data', onData).off('end', onEnd));
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
