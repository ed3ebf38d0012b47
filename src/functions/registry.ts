import { existsSync } from 'node:fs';
import { basename, extname, join, resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import { FunctionsConfigFile } from './config-file.ts';
import { EnvironmentPool, type EnvironmentSpec } from './environments.ts';
import { FunctionFailed, FunctionInvocationError, FunctionNotFound, FunctionUnreachable } from './errors.ts';
import { InvokeApiClients } from './invoke-api.ts';
import { NodeEnvironment } from './node-environment.ts';
import { parseFunctionName, type FunctionName } from './names.ts';
import { PythonEnvironment } from './python-environment.ts';

/** What a function name or ARN resolves to. */
export type ResolvedFunction =
  | {
      /** A local handler module, run in a worker thread (node) or a python3 process (python). */
      kind: 'node' | 'python';
      file: string;
      handler: string;
      /** Found as `<functions dir>/<name>.<ext>`, or through the config file's `functions` mapping. */
      source: 'functions-dir' | 'config';
    }
  | {
      /** Lambda's Invoke API at `endpoint` (a URL, or `aws` for AWS Lambda itself). */
      kind: 'invoke-api';
      endpoint: string;
      /** The FunctionName sent. */
      functionName: string;
      qualifier?: string;
      source: 'config' | 'lambda-endpoint';
    };

export interface InvokeOptions {
  /** How long to wait for the answer; default 5 s, as long as Cognito waits for a trigger. */
  timeoutMs?: number;
  /** The trigger (or other caller) on whose behalf it runs, for the log. */
  trigger?: string;
}

/**
 * The user's functions as domain code sees them (App.functions): invoke by name or ARN, or ask
 * what a name resolves to. Failures are the errors of ./errors.ts.
 */
export interface UserFunctions {
  invoke(nameOrArn: string, event: unknown, opts?: InvokeOptions): Promise<unknown>;
  resolve(nameOrArn: string): ResolvedFunction | undefined;
}

export interface FunctionRegistryOptions {
  /** Region and account of ARNs built for bare names (context.invokedFunctionArn). */
  region: string;
  accountId: string;
  log: Logger;
  /** Directory of `<name>.mjs|.js|.ts|.py` handler files; null for none. */
  functionsDir?: string | null;
  /** Tobira's config file, whose `functions` object maps names or ARNs; null for none. */
  configFile?: string | null;
  /** Every other name goes to the Invoke API there (a URL, or `aws`); null for nowhere. */
  lambdaEndpoint?: string | null;
}

/**
 * Cognito waits 5 seconds for a trigger and the value cannot be changed (Cognito developer guide,
 * "Customizing user pool workflows with Lambda triggers").
 */
export const DEFAULT_TIMEOUT_MS = 5_000;

const HANDLER_EXTENSIONS = ['.mjs', '.js', '.ts', '.py'];

/**
 * One runtime for the user's functions, shared by the triggers and the gateway. A name or ARN
 * resolves, in this order, to a handler file in the functions directory, an entry of the config
 * file's `functions` mapping, or the Invoke API at --lambda-endpoint. Node handlers run in worker
 * threads and Python handlers in python3 processes, one invocation per environment at a time,
 * each bounded by its timeout; see ./environments.ts.
 */
export class FunctionRegistry implements UserFunctions {
  /** Told of every invocation (trigger, success, seconds): the server's metrics (http/metrics.ts). */
  observer?: (trigger: string, ok: boolean, seconds: number) => void;

  private readonly environments = new EnvironmentPool({
    node: (spec, onDeath) => new NodeEnvironment(spec, onDeath),
    python: (spec, onDeath) => new PythonEnvironment(spec, onDeath),
  });
  private readonly invokeApi = new InvokeApiClients();
  private readonly functionsDir: string | null;
  private readonly configFile: FunctionsConfigFile | null;
  private readonly lambdaEndpoint: string | null;
  private readonly log: Logger;

  constructor(private readonly opts: FunctionRegistryOptions) {
    this.log = opts.log;
    this.functionsDir = opts.functionsDir ? resolvePath(opts.functionsDir) : null;
    this.configFile = opts.configFile
      ? new FunctionsConfigFile(resolvePath(opts.configFile), (msg) => this.log.warn({ file: opts.configFile }, `functions: ${msg}`))
      : null;
    this.lambdaEndpoint = opts.lambdaEndpoint ? opts.lambdaEndpoint.replace(/\/+$/, '') : null;
  }

  resolve(nameOrArn: string): ResolvedFunction | undefined {
    const parsed = parseFunctionName(nameOrArn);
    if (parsed && this.functionsDir) {
      for (const ext of HANDLER_EXTENSIONS) {
        const file = join(this.functionsDir, parsed.name + ext);
        if (existsSync(file)) return { kind: ext === '.py' ? 'python' : 'node', file, handler: 'handler', source: 'functions-dir' };
      }
    }
    if (this.configFile) {
      for (const key of mappingKeys(nameOrArn, parsed)) {
        const m = this.configFile.lookup(key);
        if (!m) continue;
        if (m.kind === 'handler') return { kind: m.file.endsWith('.py') ? 'python' : 'node', file: m.file, handler: m.handler, source: 'config' };
        return { kind: 'invoke-api', endpoint: m.endpoint, functionName: m.functionName ?? parsed?.name ?? nameOrArn, qualifier: m.functionName ? undefined : parsed?.qualifier, source: 'config' };
      }
    }
    if (parsed && this.lambdaEndpoint) {
      // SAM local knows functions by name only; AWS Lambda takes the ARN as given (another account's too).
      const functionName = this.lambdaEndpoint === 'aws' ? (parsed.arn ?? parsed.name) : parsed.name;
      return { kind: 'invoke-api', endpoint: this.lambdaEndpoint, functionName, qualifier: parsed.arn && this.lambdaEndpoint === 'aws' ? undefined : parsed.qualifier, source: 'lambda-endpoint' };
    }
    return undefined;
  }

  async invoke(nameOrArn: string, event: unknown, opts: InvokeOptions = {}): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = performance.now();
    let target: ResolvedFunction | undefined;
    try {
      target = this.resolve(nameOrArn);
      if (!target) throw new FunctionNotFound(nameOrArn, this.where());
      const parsed = parseFunctionName(nameOrArn);
      const result =
        target.kind === 'invoke-api'
          ? await this.invokeApi.invoke(target.endpoint, parsed?.region ?? this.opts.region, target.functionName, target.qualifier, nameOrArn, event, timeoutMs)
          : await this.runLocal(target.kind, target.file, target.handler, parsed?.name ?? basename(target.file, extname(target.file)), nameOrArn, parsed, event, timeoutMs);
      this.logOk(nameOrArn, target, opts, started);
      return result;
    } catch (err) {
      throw this.logFailure(nameOrArn, target, opts, started, err);
    }
  }

  /**
   * Runs a handler file named directly (the gateway's `file.mjs#handler` routes): a `.py` file in
   * python3, anything else in Node. The function is named after the file.
   */
  async invokeHandler(file: string, handler: string, event: unknown, opts: InvokeOptions = {}): Promise<unknown> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const started = performance.now();
    const name = basename(file, extname(file));
    const target: ResolvedFunction = { kind: file.endsWith('.py') ? 'python' : 'node', file, handler, source: 'config' };
    try {
      const result = await this.runLocal(target.kind as 'node' | 'python', file, handler, name, name, undefined, event, timeoutMs);
      this.logOk(name, target, opts, started);
      return result;
    } catch (err) {
      throw this.logFailure(name, target, opts, started, err);
    }
  }

  /** Ends every environment and client; invocations still running fail. */
  async close(): Promise<void> {
    this.environments.close();
    this.invokeApi.close();
  }

  private runLocal(
    runtime: 'node' | 'python',
    file: string,
    handler: string,
    functionName: string,
    label: string,
    parsed: FunctionName | undefined,
    event: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const region = parsed?.region ?? this.opts.region;
    const accountId = parsed?.accountId ?? this.opts.accountId;
    const spec: EnvironmentSpec = { runtime, file, functionName, region, accountId };
    const invokedFunctionArn = parsed?.arn ?? `arn:aws:lambda:${region}:${accountId}:function:${functionName}${parsed?.qualifier ? `:${parsed.qualifier}` : ''}`;
    return this.environments.invoke(spec, { handler, event, timeoutMs, label, invokedFunctionArn });
  }

  /** Where names were looked for, for a FunctionNotFound. */
  private where(): string {
    const places = [
      this.functionsDir && `no handler file in ${this.functionsDir}`,
      this.configFile && `no mapping in ${this.configFile.file}`,
    ].filter(Boolean);
    if (!this.lambdaEndpoint) places.push('no --lambda-endpoint');
    return places.join(', ');
  }

  // Each invocation is logged: function, how it ran, duration, outcome. Never the event, the
  // answer or the function's error message: they carry codes, passwords and personal data.
  private logOk(name: string, target: ResolvedFunction, opts: InvokeOptions, started: number): void {
    this.observer?.(opts.trigger ?? 'invoke', true, (performance.now() - started) / 1000);
    this.log.info({ ...logEntry(name, target, opts, started), outcome: 'ok' }, 'function invoked');
  }

  /** Logs a failed invocation; returns it as an error of ./errors.ts. */
  private logFailure(name: string, target: ResolvedFunction | undefined, opts: InvokeOptions, started: number, err: unknown): FunctionInvocationError {
    const e = err instanceof FunctionInvocationError ? err : new FunctionUnreachable(name, `the function could not be run: ${err instanceof Error ? err.message : String(err)}`);
    const detail = e instanceof FunctionFailed ? { errorType: e.errorType } : { reason: e.message };
    this.observer?.(opts.trigger ?? 'invoke', false, (performance.now() - started) / 1000);
    this.log.warn({ ...logEntry(name, target, opts, started), outcome: e.kind, ...detail }, `function ${OUTCOME_TEXT[e.kind]}`);
    return e;
  }
}

const OUTCOME_TEXT: Record<FunctionInvocationError['kind'], string> = {
  threw: 'failed',
  timeout: 'timed out',
  unreachable: 'unreachable',
  'not-found': 'not found',
  'invalid-answer': 'answered with no JSON',
};

function logEntry(name: string, target: ResolvedFunction | undefined, opts: InvokeOptions, started: number): Record<string, unknown> {
  return { function: name, ...(opts.trigger ? { trigger: opts.trigger } : {}), via: target?.kind, ms: Math.round(performance.now() - started) };
}

/** The keys a name is looked up by in the config file's mapping: as given, the unqualified ARN, the bare name. */
function mappingKeys(nameOrArn: string, parsed: FunctionName | undefined): string[] {
  const keys = [nameOrArn];
  if (parsed?.arn && parsed.qualifier) keys.push(parsed.arn.slice(0, -(parsed.qualifier.length + 1)));
  if (parsed) {
    if (parsed.qualifier) keys.push(`${parsed.name}:${parsed.qualifier}`);
    keys.push(parsed.name);
  }
  return [...new Set(keys)];
}

/** The Lambda functions a pool's LambdaConfig names: trigger -> ARN (KMSKeyID is a key, not a function). */
export function lambdaConfigFunctions(lambdaConfig: Record<string, unknown> | undefined): { trigger: string; arn: string }[] {
  const out: { trigger: string; arn: string }[] = [];
  for (const [trigger, value] of Object.entries(lambdaConfig ?? {})) {
    if (trigger === 'KMSKeyID') continue;
    // PreTokenGenerationConfig, CustomSMSSender, CustomEmailSender, InboundFederation: {LambdaVersion, LambdaArn}
    const arn = typeof value === 'string' ? value : (value as { LambdaArn?: unknown } | null)?.LambdaArn;
    if (typeof arn === 'string' && arn !== '') out.push({ trigger, arn });
  }
  return out;
}
