import { Worker } from 'node:worker_threads';
import type { GatewayResponse } from './responses.ts';

export class LambdaTimeout extends Error {}
/** The handler's answer is not one API Gateway can turn into a response. */
export class MalformedLambdaResponse extends Error {}
/** The handler failed: it threw, rejected, called back with an error, or its environment died. */
export class LambdaError extends Error {}

const WORKER = new URL('./lambda-worker.mjs', import.meta.url);

interface Pending {
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/**
 * One execution environment: a worker thread that has loaded one handler module and runs its
 * invocations (lambda-worker.mjs). Warm between invocations, as on Lambda: module state stays.
 */
class Environment {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private readonly ready: Promise<void>;
  dead = false;
  /** Invocations given to it and not yet answered (counted from the moment they are given). */
  busy = 0;

  constructor(file: string, region: string, accountId: string, private readonly onDeath: () => void) {
    this.worker = new Worker(WORKER, { workerData: { file, region, accountId } });
    this.worker.unref();
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (msg: { type: string; id?: number; result?: unknown; error?: { name: string; message: string; stack?: string }; malformed?: string }) => {
        if (msg.type === 'ready') resolve();
        else if (msg.type === 'loadError') {
          const err = new LambdaError(`${file} cannot be loaded: ${msg.error!.message}`);
          reject(err);
          this.kill(err);
        } else if (msg.type === 'result') {
          const p = this.pending.get(msg.id!);
          if (!p) return; // answered after its timeout: ignored, as Lambda ignores it
          this.pending.delete(msg.id!);
          if (msg.malformed) p.reject(new MalformedLambdaResponse(msg.malformed));
          else if (msg.error) p.reject(Object.assign(new LambdaError(msg.error.message), { name: msg.error.name, stack: msg.error.stack }));
          else p.resolve(msg.result);
        }
      });
      // An uncaught exception or unhandled rejection inside ends the worker: every invocation
      // in it fails (502), and the next request starts a fresh environment.
      this.worker.on('error', (err: Error) => {
        reject(err);
        this.kill(new LambdaError(`the handler's environment failed: ${err.message}`));
      });
      this.worker.on('exit', (code) => {
        const err = new LambdaError(`the handler's environment exited with code ${code}`);
        reject(err);
        this.kill(err);
      });
    });
    this.ready.catch(() => {});
  }

  async invoke(name: string, event: unknown, timeoutMs: number): Promise<unknown> {
    this.busy++;
    try {
      return await this.run(name, event, timeoutMs);
    } finally {
      this.busy--;
    }
  }

  private async run(name: string, event: unknown, timeoutMs: number): Promise<unknown> {
    await this.ready;
    const id = ++this.nextId;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new LambdaTimeout(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`));
        // Lambda resets the environment after a timeout; a handler stuck in a loop would
        // otherwise hold this one for ever.
        this.kill(new LambdaError('the environment was reset after a timeout'));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      try {
        this.worker.postMessage({ type: 'invoke', id, name, event, deadline });
      } catch (err) {
        this.pending.get(id)?.reject(new LambdaError(`the event cannot be passed to the handler: ${(err as Error).message}`));
        this.pending.delete(id);
      }
    });
  }

  kill(reason: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath();
    for (const p of this.pending.values()) p.reject(reason);
    this.pending.clear();
    void this.worker.terminate();
  }
}

/**
 * Local Lambda handler modules (`file.mjs#handler`, `.ts` through tsx). As on Lambda, an
 * environment runs one invocation at a time: a request finds an idle warm environment of its
 * module, or starts a new one, so a timeout or crash resets only the environment it happened in.
 * Past MAX_ENVIRONMENTS per module, invocations share the least busy one.
 */
export class LocalLambdas {
  private readonly environments = new Map<string, Environment[]>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** Invokes like the Node.js Lambda runtime (lambda-worker.mjs). */
  async invoke(file: string, name: string, event: unknown, timeoutMs: number): Promise<unknown> {
    const pool = this.environments.get(file) ?? [];
    this.environments.set(file, pool);
    let env = pool.find((e) => !e.dead && e.busy === 0);
    if (!env && pool.length < MAX_ENVIRONMENTS) {
      const fresh: Environment = new Environment(file, this.region, this.accountId, () => {
        const i = pool.indexOf(fresh);
        if (i >= 0) pool.splice(i, 1);
      });
      pool.push(fresh);
      env = fresh;
    }
    env ??= pool.reduce((a, b) => (b.busy < a.busy ? b : a));
    return env.invoke(name, event, timeoutMs);
  }

  /** Ends every environment (the gateway is closing). */
  close(): void {
    for (const pool of this.environments.values()) for (const env of [...pool]) env.kill(new LambdaError('the gateway is closing'));
    this.environments.clear();
  }
}

/** Environments per handler module; a worker thread each (about 10 MB). */
const MAX_ENVIRONMENTS = 8;

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
