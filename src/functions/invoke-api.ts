import type { LambdaClient } from '@aws-sdk/client-lambda';
import { FunctionFailed, FunctionInvalidAnswer, FunctionNotFound, FunctionTimedOut, FunctionUnreachable } from './errors.ts';

/**
 * Where Lambda's Invoke API is spoken: an endpoint URL (SAM local, LocalStack, a test server, a
 * mapping's invokeUrl) or, for `aws`, AWS Lambda itself (the SDK's endpoint for the region).
 */
export type InvokeEndpoint = string | 'aws';

/**
 * Calls functions through Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`)
 * with @aws-sdk/client-lambda, one client per endpoint and region, loaded on first use.
 * Credentials: the SDK's usual chain (environment, profile ...) when the environment names any
 * or the endpoint is AWS; fixed dummy ones for a local endpoint, which checks no signature.
 */
export class InvokeApiClients {
  private readonly clients = new Map<string, Promise<LambdaClient>>();

  async invoke(
    endpoint: InvokeEndpoint,
    region: string,
    functionName: string,
    qualifier: string | undefined,
    label: string,
    event: unknown,
    timeoutMs: number,
  ): Promise<unknown> {
    const { InvokeCommand } = await import('@aws-sdk/client-lambda');
    const client = await this.client(endpoint, region);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let out;
    try {
      out = await client.send(
        new InvokeCommand({ FunctionName: functionName, Qualifier: qualifier, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event)) }),
        { abortSignal: abort.signal },
      );
    } catch (err) {
      if (abort.signal.aborted) throw new FunctionTimedOut(label, timeoutMs);
      const e = err as Error & { $metadata?: { httpStatusCode?: number } };
      if (e.name === 'ResourceNotFoundException') throw new FunctionNotFound(label, `the Invoke API at ${where(endpoint)} knows no ${functionName}`);
      const status = e.$metadata?.httpStatusCode;
      throw new FunctionUnreachable(label, `the Invoke API at ${where(endpoint)} ${status ? `answered ${status} ${e.name}` : 'could not be reached'}: ${e.message}`);
    } finally {
      clearTimeout(timer);
    }
    const text = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
    if (out.FunctionError) {
      // The function's own failure, as Lambda reports it: {"errorType", "errorMessage", "trace"...}.
      const body = parseJson(text);
      const errorType = typeof body?.errorType === 'string' ? body.errorType : out.FunctionError;
      const errorMessage = typeof body?.errorMessage === 'string' ? body.errorMessage : text;
      // Lambda's own timeout reaches the caller as a function error of this type.
      if (errorType === 'Sandbox.Timedout' || /^Task timed out after/.test(errorMessage)) throw new FunctionTimedOut(label, timeoutMs);
      throw new FunctionFailed(label, errorType, errorMessage);
    }
    if (text === '') return null;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new FunctionInvalidAnswer(label, `the answer is not JSON: ${(err as Error).message}`);
    }
  }

  private client(endpoint: InvokeEndpoint, region: string): Promise<LambdaClient> {
    const key = `${endpoint}\0${region}`;
    let client = this.clients.get(key);
    if (!client) {
      client = import('@aws-sdk/client-lambda').then(({ LambdaClient }) => {
        const local = endpoint !== 'aws';
        const fromEnvironment = !!(process.env.AWS_ACCESS_KEY_ID || process.env.AWS_PROFILE);
        return new LambdaClient({
          region,
          ...(local ? { endpoint } : {}),
          ...(local && !fromEnvironment ? { credentials: { accessKeyId: 'tobira', secretAccessKey: 'tobira' } } : {}),
          // One attempt: a retry would run a trigger twice and hide its timeout.
          maxAttempts: 1,
        });
      });
      this.clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) void c.then((client) => client.destroy(), () => {});
    this.clients.clear();
  }
}

function where(endpoint: InvokeEndpoint): string {
  return endpoint === 'aws' ? 'AWS Lambda' : endpoint;
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null ? v : undefined;
  } catch {
    return undefined;
  }
}
