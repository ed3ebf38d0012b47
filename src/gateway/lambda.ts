import { randomUUID } from 'node:crypto';
import { basename, extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GatewayResponse } from './responses.ts';

type Handler = (event: unknown, context: LambdaContext, callback: (err?: unknown, result?: unknown) => void) => unknown;

export interface LambdaContext {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
  done(err?: unknown, result?: unknown): void;
  succeed(result?: unknown): void;
  fail(err?: unknown): void;
}

export class LambdaTimeout extends Error {}
/** The handler's answer is not one API Gateway can turn into a response. */
export class MalformedLambdaResponse extends Error {}

/** Local Lambda handler modules (`file.mjs#handler`, `.ts` through tsx), each loaded once. */
export class LocalLambdas {
  private readonly modules = new Map<string, Promise<Record<string, unknown>>>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  async handler(file: string, name: string): Promise<Handler> {
    let mod = this.modules.get(file);
    if (!mod) {
      mod = import(pathToFileURL(file).href) as Promise<Record<string, unknown>>;
      this.modules.set(file, mod);
      // A module that fails to load is retried on the next request (it may be fixed by then).
      mod.catch(() => this.modules.delete(file));
    }
    const m = await mod;
    const fn = m[name] ?? (m.default as Record<string, unknown> | undefined)?.[name];
    if (typeof fn !== 'function') throw new Error(`${file} exports no function "${name}"`);
    return fn as Handler;
  }

  /**
   * Invokes like the Node.js Lambda runtime: an async handler's promise, or the callback
   * (also context.succeed/fail/done), whichever settles first; a throw is an error.
   */
  async invoke(file: string, name: string, event: unknown, timeoutMs: number): Promise<unknown> {
    const fn = await this.handler(file, name);
    const functionName = basename(file, extname(file));
    const deadline = Date.now() + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: unknown, result?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err !== undefined && err !== null) reject(err);
        else resolve(result);
      };
      timer = setTimeout(() => settle(new LambdaTimeout(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`)), timeoutMs);
      const context: LambdaContext = {
        functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionName}`,
        memoryLimitInMB: '128',
        awsRequestId: randomUUID(),
        logGroupName: `/aws/lambda/${functionName}`,
        logStreamName: `tobira/[$LATEST]${randomUUID().replace(/-/g, '')}`,
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
        done: (err, result) => settle(err, result),
        succeed: (result) => settle(null, result),
        fail: (err) => settle(err ?? new Error('failed')),
      };
      try {
        const out = fn(event, context, (err, result) => settle(err, result));
        if (out && typeof (out as Promise<unknown>).then === 'function') {
          (out as Promise<unknown>).then((r) => settle(null, r), (e) => settle(e ?? new Error('rejected')));
        } else if (fn.length < 3) {
          // A synchronous handler without a callback parameter answers with its return value.
          settle(null, out);
        }
      } catch (err) {
        // `throw null` fails the invocation too.
        settle(err ?? new Error(`the handler threw ${String(err)}`));
      }
    });
  }
}

function headerMap(result: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const single = result.headers;
  const multi = result.multiValueHeaders;
  if (single !== undefined && single !== null) {
    if (typeof single !== 'object' || Array.isArray(single)) throw new MalformedLambdaResponse('headers must be an object');
    for (const [k, v] of Object.entries(single)) if (v !== null && v !== undefined) out[k.toLowerCase()] = String(v);
  }
  if (multi !== undefined && multi !== null) {
    if (typeof multi !== 'object' || Array.isArray(multi)) throw new MalformedLambdaResponse('multiValueHeaders must be an object');
    // multiValueHeaders and headers are merged; a name in both takes the lists' values.
    for (const [k, v] of Object.entries(multi)) {
      if (!Array.isArray(v)) throw new MalformedLambdaResponse('multiValueHeaders values must be lists');
      out[k.toLowerCase()] = v.map(String);
    }
  }
  return out;
}

function bodyOf(result: Record<string, unknown>, strict: boolean): Buffer {
  const body = result.body;
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body !== 'string') {
    // REST (1.0) wants a string body: an object there is "Malformed Lambda proxy response".
    if (strict) throw new MalformedLambdaResponse('body must be a string');
    return Buffer.from(JSON.stringify(body));
  }
  return result.isBase64Encoded === true ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
}

function statusOf(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  // A 1xx is never a final answer (RFC 9110 15.2): sent as one, clients wait for the real answer.
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 200 || n > 599) throw new MalformedLambdaResponse(`invalid statusCode ${String(v)}`);
  return n;
}

/**
 * Payload 1.0 answer: an object {statusCode, headers, multiValueHeaders, body, isBase64Encoded}.
 * Anything else (a string, an object without statusCode) is what REST APIs call a "Malformed
 * Lambda proxy response" and answer with 502.
 */
export function restResult(result: unknown): GatewayResponse {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) throw new MalformedLambdaResponse('the answer is not an object');
  const r = result as Record<string, unknown>;
  if (r.statusCode === undefined) throw new MalformedLambdaResponse('statusCode is missing');
  const headers = headerMap(r);
  headers['content-type'] ??= 'application/json';
  return { status: statusOf(r.statusCode), headers, body: bodyOf(r, true) };
}

/**
 * Payload 2.0 answer: the same object (plus `cookies`), or, without statusCode, any JSON value,
 * which HTTP APIs send as a 200 application/json body (a string as it is).
 */
export function httpApiResult(result: unknown): GatewayResponse {
  const isObj = typeof result === 'object' && result !== null && !Array.isArray(result);
  if (!isObj || (result as Record<string, unknown>).statusCode === undefined) {
    if (result === undefined) return { status: 200, headers: { 'content-type': 'application/json' }, body: '' };
    const body = typeof result === 'string' ? result : JSON.stringify(result);
    return { status: 200, headers: { 'content-type': 'application/json' }, body };
  }
  const r = result as Record<string, unknown>;
  const headers = headerMap(r);
  headers['content-type'] ??= 'application/json';
  if (r.cookies !== undefined) {
    if (!Array.isArray(r.cookies)) throw new MalformedLambdaResponse('cookies must be a list');
    const existing = headers['set-cookie'];
    headers['set-cookie'] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), ...r.cookies.map(String)];
  }
  return { status: statusOf(r.statusCode), headers, body: bodyOf(r, false) };
}
