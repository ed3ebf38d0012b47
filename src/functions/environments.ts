import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { FunctionFailed, FunctionInvalidAnswer, FunctionTimedOut, FunctionUnreachable } from './errors.ts';

/** What runs one handler file: which runtime, and under which function name. */
export interface EnvironmentSpec {
  runtime: 'node' | 'python';
  /** Absolute path of the handler module. */
  file: string;
  /** The function's name as its context reports it (context.functionName, AWS_LAMBDA_FUNCTION_NAME). */
  functionName: string;
  region: string;
  accountId: string;
}

/** One invocation handed to an environment. */
export interface Invocation {
  /** The module's export (Node) or attribute (Python) to call. */
  handler: string;
  event: unknown;
  timeoutMs: number;
  /** What the caller asked for (name or ARN): errors carry it. */
  label: string;
  invokedFunctionArn: string;
}

/**
 * An execution environment: loads one handler module once and runs one invocation at a time,
 * warm in between (module state stays, as on Lambda). Failing invocations reject with the
 * errors of ./errors.ts.
 */
export interface Environment {
  readonly dead: boolean;
  /** Invocations given to it and not yet answered. */
  readonly busy: number;
  invoke(inv: Invocation): Promise<unknown>;
  kill(reason: Error): void;
}

export type StartEnvironment = (spec: EnvironmentSpec, onDeath: () => void) => Environment;

/** How long a handler module may take to load (Lambda's own init limit is 10 seconds). */
export const INIT_TIMEOUT_MS = 10_000;

/** Environments per handler module and function name; a worker thread (about 10 MB) or a python3 process each. */
const MAX_ENVIRONMENTS = 8;

/**
 * The warm environments of every handler module. As on Lambda, an environment runs one
 * invocation at a time: an invocation finds an idle environment of its module, or starts a new
 * one, so a timeout or crash resets only the environment it happened in. Past MAX_ENVIRONMENTS
 * per module, invocations share the least busy one (and wait their turn in it). An edited handler
 * file is a new deployment: its old environments end once idle, the next invocation loads it anew.
 */
export class EnvironmentPool {
  private readonly pools = new Map<string, { version: string; envs: Environment[] }>();
  /** Environments of an older version of their file, still running an invocation. */
  private readonly retiring = new Set<Environment>();
  private closed = false;

  constructor(private readonly starters: Record<EnvironmentSpec['runtime'], StartEnvironment>) {}

  invoke(spec: EnvironmentSpec, inv: Invocation): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('the function runtime is closed'));
    const key = `${spec.runtime}\0${spec.file}\0${spec.functionName}`;
    const version = fileVersion(spec.file);
    let entry = this.pools.get(key);
    if (entry && entry.version !== version) {
      for (const env of entry.envs) this.retire(env);
      entry = undefined;
    }
    if (!entry) {
      entry = { version, envs: [] };
      this.pools.set(key, entry);
    }
    const pool = entry.envs;
    let env = pool.find((e) => !e.dead && e.busy === 0);
    if (!env && pool.length < MAX_ENVIRONMENTS) {
      const fresh: Environment = this.starters[spec.runtime](spec, () => {
        const i = pool.indexOf(fresh);
        if (i >= 0) pool.splice(i, 1);
      });
      pool.push(fresh);
      env = fresh;
    }
    env ??= pool.reduce((a, b) => (b.busy < a.busy ? b : a));
    const chosen = env;
    return chosen.invoke(inv).finally(() => {
      if (this.retiring.has(chosen) && chosen.busy === 0) this.retire(chosen);
    });
  }

  /** Ends every environment; invocations still running fail. */
  close(): void {
    this.closed = true;
    const reason = new Error('the function runtime is closing');
    for (const entry of this.pools.values()) for (const env of [...entry.envs]) env.kill(reason);
    for (const env of this.retiring) env.kill(reason);
    this.pools.clear();
    this.retiring.clear();
  }

  private retire(env: Environment): void {
    if (env.busy > 0) {
      this.retiring.add(env);
      return;
    }
    this.retiring.delete(env);
    env.kill(new Error('the handler file changed'));
  }
}

/** Changes when the file is edited or replaced. */
function fileVersion(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return '';
  }
}

/** Server secrets that a user's function has no business reading (it would not see them on Lambda). */
const WITHHELD = ['TOBIRA_MASTER_KEY', 'TOBIRA_ADMIN_TOKEN', 'TOBIRA_ADMIN_CREDENTIALS', 'TOBIRA_DATABASE_URL', 'TOBIRA_SMTP_URL'];

/** The function's environment variables: this process's, less Tobira's secrets, plus Lambda's own. */
export function functionEnvironment(spec: EnvironmentSpec): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !WITHHELD.includes(k)) env[k] = v;
  Object.assign(env, {
    AWS_LAMBDA_FUNCTION_NAME: spec.functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.functionName}`,
    LAMBDA_TASK_ROOT: dirname(spec.file),
  });
  env.AWS_REGION ??= spec.region;
  env.AWS_DEFAULT_REGION ??= spec.region;
  return env;
}

/** A log stream name as Lambda makes them: date, version, a random id. */
export function logStreamName(): string {
  return `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${randomUUID().replace(/-/g, '')}`;
}

/** A handler's error as the environment reports it (a module that failed to load, or a thrown error). */
export interface HandlerError {
  errorType: string;
  errorMessage: string;
  stack?: string;
}

/** An environment's answer to one invocation. */
export interface ResultMessage {
  type: 'result';
  id: number;
  json?: string;
  error?: HandlerError;
  invalid?: string;
}

/** An invocation waiting for its answer. */
export interface Pending {
  label: string;
  resolve(result: unknown): void;
  reject(err: Error): void;
}

/** Settles an invocation with its answer; `empty` stands for an answer without JSON. */
export function settle(p: Pending, msg: ResultMessage, empty: unknown): void {
  if (msg.invalid !== undefined) p.reject(new FunctionInvalidAnswer(p.label, msg.invalid));
  else if (msg.error) p.reject(Object.assign(new FunctionFailed(p.label, msg.error.errorType, msg.error.errorMessage), msg.error.stack ? { cause: msg.error.stack } : {}));
  else {
    try {
      p.resolve(msg.json === undefined ? empty : JSON.parse(msg.json));
    } catch (err) {
      p.reject(new FunctionInvalidAnswer(p.label, `the answer is not JSON: ${(err as Error).message}`));
    }
  }
}

/**
 * The timeout bounds the handler, not loading its module (Lambda too bounds its init apart);
 * a module that never finishes loading ends its environment here.
 */
export function boundInit(ready: Promise<void>, kill: (reason: Error) => void): void {
  const init = setTimeout(() => kill(new Error(`the module did not load within ${INIT_TIMEOUT_MS / 1000} seconds`)), INIT_TIMEOUT_MS);
  init.unref();
  ready.then(() => clearTimeout(init), () => clearTimeout(init));
}

/** Waits for the environment's module to load; throws what the invocation answers if it cannot run. */
export async function whenReady(env: { readonly ready: Promise<void>; readonly loadError: HandlerError | undefined; readonly dead: boolean }, label: string): Promise<void> {
  try {
    await env.ready;
  } catch (err) {
    throw new FunctionUnreachable(label, (err as Error).message);
  }
  if (env.loadError) throw new FunctionFailed(label, env.loadError.errorType, env.loadError.errorMessage);
  if (env.dead) throw new FunctionUnreachable(label, "the function's environment has ended");
}

/**
 * Starts one invocation's clock: on timeout it rejects with FunctionTimedOut and calls
 * `onTimeout` (Lambda resets the environment after a timeout; a handler stuck in a loop would
 * otherwise hold it for ever). The returned Pending settles the invocation and stops the clock.
 */
export function timed(inv: Invocation, resolve: (r: unknown) => void, reject: (e: Error) => void, onTimeout: () => void): Pending {
  const timer = setTimeout(() => {
    reject(new FunctionTimedOut(inv.label, inv.timeoutMs));
    onTimeout();
  }, inv.timeoutMs);
  return {
    label: inv.label,
    resolve: (r) => (clearTimeout(timer), resolve(r)),
    reject: (e) => (clearTimeout(timer), reject(e)),
  };
}
