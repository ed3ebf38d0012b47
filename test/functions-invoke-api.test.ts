import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { FunctionRegistry } from '../src/functions/registry.ts';
import { FunctionFailed, FunctionInvalidAnswer, FunctionNotFound, FunctionTimedOut, FunctionUnreachable } from '../src/functions/errors.ts';
import { startTestServer } from './helpers/tobira.ts';

interface Received {
  name: string;
  qualifier: string | null;
  signed: boolean;
  invocationType: string | undefined;
  event: unknown;
}

/**
 * A server speaking Lambda's Invoke API (`POST /2015-03-31/functions/<name>/invocations`), as SAM
 * local or LocalStack do: each function name answers one way.
 */
function invokeApiServer(): Promise<{ url: string; received: Received[]; close(): Promise<void> }> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !m) {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' }).end('{"message":"unknown"}');
        return;
      }
      const name = decodeURIComponent(m[1]);
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({
        name,
        qualifier: url.searchParams.get('Qualifier'),
        signed: /^AWS4-HMAC-SHA256 Credential=/.test(String(req.headers.authorization ?? '')),
        invocationType: req.headers['x-amz-invocation-type'] as string | undefined,
        event,
      });
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));
      switch (name) {
        case 'echo':
        case 'renamed':
          return json(200, { response: { autoConfirmUser: true }, got: event });
        case 'fails':
          // A handler's exception, as Lambda reports it: 200 with X-Amz-Function-Error.
          return json(200, { errorType: 'InvalidInput', errorMessage: 'email domain not allowed', trace: [] }, { 'x-amz-function-error': 'Unhandled' });
        case 'lambda-timeout':
          return json(200, { errorType: 'Sandbox.Timedout', errorMessage: 'RequestId: 1 Error: Task timed out after 3.00 seconds' }, { 'x-amz-function-error': 'Unhandled' });
        case 'garbage':
          return json(200, 'this is {not JSON');
        case 'hangs':
          return; // never answers
        case 'throttled':
          return json(429, { Type: 'User', message: 'Rate Exceeded.' }, { 'x-amzn-errortype': 'TooManyRequestsException' });
        default:
          return json(404, { Type: 'User', message: `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        url: `http://127.0.0.1:${port}`,
        received,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    }),
  );
}

const ARN = (name: string, qualifier?: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}${qualifier ? `:${qualifier}` : ''}`;

describe("Lambda's Invoke API, through @aws-sdk/client-lambda", () => {
  let api: Awaited<ReturnType<typeof invokeApiServer>>;
  let reg: FunctionRegistry;
  const lines: Record<string, any>[] = [];
  before(async () => {
    api = await invokeApiServer();
    const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s)) });
    reg = new FunctionRegistry({ region: 'us-east-1', accountId: '123456789012', log, lambdaEndpoint: api.url });
  });
  after(async () => {
    await reg.close();
    await api.close();
  });

  test('--lambda-endpoint: the event is POSTed, signed, to the function named in the ARN, and the answer parsed', async () => {
    const event = { triggerSource: 'PreSignUp_SignUp', request: { userAttributes: { email: 'a@example.com' } }, response: {} };
    const out = await reg.invoke(ARN('echo', 'live'), event);
    assert.deepEqual(out, { response: { autoConfirmUser: true }, got: event });
    const r = api.received.at(-1)!;
    assert.equal(r.name, 'echo');
    assert.equal(r.qualifier, 'live');
    assert.equal(r.signed, true, 'SigV4-signed, with dummy credentials for a local endpoint');
    assert.equal(r.invocationType, 'RequestResponse');
    assert.deepEqual(r.event, event);
    assert.deepEqual(reg.resolve(ARN('echo')), { kind: 'invoke-api', endpoint: api.url, functionName: 'echo', qualifier: undefined, source: 'lambda-endpoint' });
  });

  test("a FunctionError answer: FunctionFailed with the function's errorType and errorMessage", async () => {
    const err = await reg.invoke('fails', {}).catch((e) => e);
    assert.ok(err instanceof FunctionFailed, String(err));
    assert.equal(err.errorType, 'InvalidInput');
    assert.equal(err.errorMessage, 'email domain not allowed');
  });

  test("Lambda's own timeout (Sandbox.Timedout) and a server that never answers: FunctionTimedOut", async () => {
    assert.ok((await reg.invoke('lambda-timeout', {}).catch((e) => e)) instanceof FunctionTimedOut);
    const started = Date.now();
    const err = await reg.invoke('hangs', {}, { timeoutMs: 400 }).catch((e) => e);
    assert.ok(err instanceof FunctionTimedOut, String(err));
    assert.ok(Date.now() - started < 5000, `${Date.now() - started} ms`);
  });

  test('an answer that is not JSON: FunctionInvalidAnswer', async () => {
    assert.ok((await reg.invoke('garbage', {}).catch((e) => e)) instanceof FunctionInvalidAnswer);
  });

  test('ResourceNotFoundException: FunctionNotFound; another service error: FunctionUnreachable', async () => {
    const missing = await reg.invoke(ARN('nobody'), {}).catch((e) => e);
    assert.ok(missing instanceof FunctionNotFound, String(missing));
    const throttled = await reg.invoke('throttled', {}).catch((e) => e);
    assert.ok(throttled instanceof FunctionUnreachable, String(throttled));
    assert.match(throttled.message, /429 TooManyRequestsException/);
  });

  test('a server that is gone: FunctionUnreachable', async () => {
    const closed = await invokeApiServer();
    await closed.close();
    const r = new FunctionRegistry({ region: 'us-east-1', accountId: '1', log: pino({ level: 'silent' }), lambdaEndpoint: closed.url });
    try {
      const err = await r.invoke('echo', {}).catch((e) => e);
      assert.ok(err instanceof FunctionUnreachable, String(err));
      assert.match(err.message, /could not be reached/);
    } finally {
      await r.close();
    }
  });

  test('the log has each call, never its event or answer', () => {
    const text = JSON.stringify(lines);
    assert.ok(lines.some((l) => l.function === ARN('echo', 'live') && l.via === 'invoke-api' && l.outcome === 'ok'));
    assert.ok(lines.some((l) => l.function === 'fails' && l.outcome === 'threw' && l.errorType === 'InvalidInput'));
    assert.doesNotMatch(text, /a@example\.com|email domain not allowed|autoConfirmUser/);
  });
});

describe('a config mapping {"invokeUrl"}, and Tobira keeps serving', () => {
  let api: Awaited<ReturnType<typeof invokeApiServer>>;
  const dir = mkdtempSync(join(tmpdir(), 'tobira-invoke-url-'));
  before(async () => {
    api = await invokeApiServer();
  });
  after(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the full invocation URL names the function; a base URL takes the name asked for', async () => {
    const config = join(dir, 'tobira.json');
    writeFileSync(
      config,
      JSON.stringify({
        functions: {
          [ARN('pre-sign-up')]: { invokeUrl: `${api.url}/2015-03-31/functions/renamed/invocations` },
          'post-confirmation': { invokeUrl: api.url },
          'hang-here': { invokeUrl: `${api.url}/2015-03-31/functions/hangs/invocations/` },
        },
      }),
    );
    const t = await startTestServer({ configFile: config, functionsDir: null, lambdaEndpoint: null });
    try {
      assert.deepEqual(await t.app.functions.invoke(ARN('pre-sign-up'), { n: 1 }), { response: { autoConfirmUser: true }, got: { n: 1 } });
      assert.equal(api.received.at(-1)!.name, 'renamed');
      // No mapping named `post-confirmation`'s function otherwise: with a base URL it is asked by its own name.
      const err = await t.app.functions.invoke('post-confirmation', {}).catch((e) => e);
      assert.ok(err instanceof FunctionNotFound, String(err));
      assert.equal(api.received.at(-1)!.name, 'post-confirmation');
      // A hung function holds its call only, never the server.
      const hung = t.app.functions.invoke('hang-here', {}, { timeoutMs: 1500 }).catch((e) => e);
      assert.equal((await fetch(`${t.url}/health`)).status, 200);
      assert.ok((await hung) instanceof FunctionTimedOut);
      // And nothing unmapped goes anywhere without --lambda-endpoint.
      assert.equal(t.app.functions.resolve('elsewhere'), undefined);
    } finally {
      await t.close();
    }
  });
});
