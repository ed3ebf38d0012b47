import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pino from 'pino';
import { CognitoIdentityProviderClient, CreateUserPoolCommand, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { FunctionRegistry } from '../src/functions/registry.ts';
import { FunctionFailed, FunctionInvalidAnswer, FunctionNotFound, FunctionTimedOut, FunctionUnreachable } from '../src/functions/errors.ts';
import { startTestServer } from './helpers/tobira.ts';
import { gatewayFor } from './helpers/gateway.ts';
import { needs } from './helpers/tools.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'functions', 'dir');
const MAPPED = join(import.meta.dirname, 'fixtures', 'functions', 'mapped');
const ARN = (name: string, qualifier?: string) => `arn:aws:lambda:eu-west-1:123456789012:function:${name}${qualifier ? `:${qualifier}` : ''}`;
// A secret the events carry: it must reach the function and never the log.
const SECRET = 'S3CRET-CODE-918273';

/** A logger whose lines (parsed) land in `lines`. */
function capturedLog(): { log: pino.Logger; lines: Record<string, any>[]; text: () => string } {
  const lines: Record<string, any>[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines, text: () => lines.map((l) => JSON.stringify(l)).join('\n') };
}

function registry(extra: Partial<ConstructorParameters<typeof FunctionRegistry>[0]> = {}) {
  const captured = capturedLog();
  const reg = new FunctionRegistry({ region: 'us-east-1', accountId: '123456789012', log: captured.log, functionsDir: DIR, ...extra });
  return { reg, ...captured };
}

// Handlers must not see the server's secrets, as a Lambda function would not.
const savedMasterKey = process.env.TOBIRA_MASTER_KEY;
before(() => void (process.env.TOBIRA_MASTER_KEY = 'a-master-key-the-handlers-must-not-see'));
after(() => {
  if (savedMasterKey === undefined) delete process.env.TOBIRA_MASTER_KEY;
  else process.env.TOBIRA_MASTER_KEY = savedMasterKey;
});

describe('a functions directory of Node handlers', () => {
  const { reg, lines, text } = registry();
  after(() => reg.close());

  test('by bare name: the event arrives, with a Lambda context and environment', async () => {
    const out = (await reg.invoke('echo', { request: { code: SECRET } }, { timeoutMs: 4000 })) as any;
    assert.deepEqual(out.event, { request: { code: SECRET } });
    assert.equal(out.context.functionName, 'echo');
    assert.equal(out.context.invokedFunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:echo');
    assert.match(out.context.awsRequestId, /^[0-9a-f-]{36}$/);
    assert.ok(out.context.remainingMs > 0 && out.context.remainingMs <= 4000, String(out.context.remainingMs));
    assert.deepEqual(out.env, { AWS_LAMBDA_FUNCTION_NAME: 'echo', masterKeyVisible: false });
  });

  test('by ARN with a qualifier: the ARN as given, a warm environment keeping module state', async () => {
    const first = (await reg.invoke(ARN('echo', 'live'), {})) as any;
    assert.equal(first.context.invokedFunctionArn, ARN('echo', 'live'));
    assert.equal(first.context.functionName, 'echo');
    const second = (await reg.invoke(ARN('echo', 'live'), {})) as any;
    assert.equal(second.invocations, first.invocations + 1);
  });

  test('a TypeScript handler answering through the callback', async () => {
    assert.deepEqual(await reg.invoke('typed', { name: 'Ada' }), { greeting: 'hello Ada', functionName: 'typed' });
    assert.deepEqual(reg.resolve('typed'), { kind: 'node', file: join(DIR, 'typed.ts'), handler: 'handler', source: 'functions-dir' });
  });

  test('a handler that throws: FunctionFailed with its errorType and errorMessage', async () => {
    const err = await reg.invoke('throws', {}).then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof FunctionFailed, String(err));
    assert.equal(err.kind, 'threw');
    assert.equal(err.errorType, 'InvalidSignUp');
    assert.equal(err.errorMessage, 'email domain not allowed');
    assert.equal(err.functionName, 'throws');
  });

  test('a handler that hangs: FunctionTimedOut at the timeout given; the next call runs', async () => {
    const err = await reg.invoke('hangs', {}, { timeoutMs: 600 }).then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof FunctionTimedOut, String(err));
    assert.equal(err.message, 'Task timed out after 0.60 seconds');
    assert.equal(((await reg.invoke('echo', {})) as any).context.functionName, 'echo');
  });

  test('a handler that calls process.exit: FunctionUnreachable, only its environment ends', async () => {
    const warm = ((await reg.invoke('echo', {})) as any).invocations;
    const err = await reg.invoke('exits', {}).then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof FunctionUnreachable, String(err));
    assert.match(err.message, /exited with code 7/);
    // This process lives on, and echo's environment kept its state.
    assert.equal(((await reg.invoke('echo', {})) as any).invocations, warm + 1);
    // The next call of `exits` gets a fresh environment (and fails the same way).
    assert.ok((await reg.invoke('exits', {}).catch((e) => e)) instanceof FunctionUnreachable);
  });

  test('a handler answering with a function value: FunctionInvalidAnswer', async () => {
    const err = await reg.invoke('garbage', {}).then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof FunctionInvalidAnswer, String(err));
    assert.match(err.message, /autoConfirmUser.*function/);
  });

  test('a name that resolves to nothing: FunctionNotFound at call time; resolve() says undefined', async () => {
    assert.equal(reg.resolve('no-such-function'), undefined);
    assert.equal(reg.resolve(ARN('no-such-function')), undefined);
    for (const bad of ['../echo', 'echo/..', '', 'arn:aws:lambda:us-east-1:1:function:../../etc/passwd']) assert.equal(reg.resolve(bad), undefined, bad);
    const err = await reg.invoke(ARN('no-such-function'), {}).then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof FunctionNotFound, String(err));
    assert.equal(err.functionName, ARN('no-such-function'));
  });

  test('every invocation is logged with function, duration and outcome, never the event or the answer', () => {
    const logged = lines.filter((l) => l.function !== undefined);
    assert.ok(logged.length >= 10, text());
    for (const l of logged) {
      assert.equal(typeof l.ms, 'number');
      assert.ok(['ok', 'threw', 'timeout', 'unreachable', 'not-found', 'invalid-answer'].includes(l.outcome), JSON.stringify(l));
    }
    assert.ok(logged.some((l) => l.function === 'throws' && l.outcome === 'threw' && l.errorType === 'InvalidSignUp'));
    assert.ok(logged.some((l) => l.function === 'hangs' && l.outcome === 'timeout'));
    assert.ok(logged.some((l) => l.function === 'exits' && l.outcome === 'unreachable'));
    assert.ok(logged.some((l) => l.function === 'garbage' && l.outcome === 'invalid-answer'));
    assert.ok(logged.some((l) => l.function === ARN('no-such-function') && l.outcome === 'not-found'));
    assert.doesNotMatch(text(), new RegExp(SECRET));
    // The function's own error message may quote what it was given: it stays out of the log too.
    assert.doesNotMatch(text(), /email domain not allowed/);
  });
});

describe('Python handlers in a python3 process', needs('python3'), () => {
  const { reg, lines } = registry();
  after(() => reg.close());

  test('handler(event, context) as on AWS: the event, the context object, a warm process', async () => {
    const out = (await reg.invoke(ARN('pyecho'), { request: { code: SECRET, name: '山田 ✓' } }, { timeoutMs: 4000 })) as any;
    assert.deepEqual(out.event, { request: { code: SECRET, name: '山田 ✓' } });
    assert.equal(out.context.functionName, 'pyecho');
    assert.equal(out.context.invokedFunctionArn, ARN('pyecho'));
    assert.match(out.context.awsRequestId, /^[0-9a-f-]{36}$/);
    assert.ok(out.context.remainingMs > 0 && out.context.remainingMs <= 4000, String(out.context.remainingMs));
    assert.equal(out.context.memoryLimitInMB, '128');
    assert.deepEqual(out.env, { AWS_LAMBDA_FUNCTION_NAME: 'pyecho', masterKeyVisible: false });
    // What it printed went to stderr, not into the answer; its module state stays.
    assert.equal(((await reg.invoke('pyecho', {})) as any).invocations, out.invocations + 1);
    assert.equal(reg.resolve('pyecho')?.kind, 'python');
  });

  test("a blueprint's lambda_handler serves as handler", async () => {
    assert.deepEqual(await reg.invoke('pyblueprint', { n: 2 }), { statusCode: 200, doubled: 4 });
  });

  test('an exception: FunctionFailed with the exception class as errorType', async () => {
    const err = await reg.invoke('pyfails', {}).then(() => assert.fail('no error'), (e) => e);
    assert.ok(err instanceof FunctionFailed, String(err));
    assert.equal(err.errorType, 'InvalidSignUp');
    assert.equal(err.errorMessage, 'phone number required');
  });

  test('a hang, an exit and an answer that is no JSON: timeout, unreachable, invalid; the next call runs', async () => {
    assert.ok((await reg.invoke('pyhangs', {}, { timeoutMs: 600 }).catch((e) => e)) instanceof FunctionTimedOut);
    const exited = await reg.invoke('pyexits', {}).catch((e) => e);
    assert.ok(exited instanceof FunctionUnreachable, String(exited));
    assert.match(exited.message, /code 3/);
    const garbage = await reg.invoke('pygarbage', {}).catch((e) => e);
    assert.ok(garbage instanceof FunctionInvalidAnswer, String(garbage));
    assert.match(garbage.message, /set is not JSON serializable/);
    assert.equal(((await reg.invoke('pyecho', {})) as any).context.functionName, 'pyecho');
    assert.ok(lines.some((l) => l.function === 'pyhangs' && l.via === 'python' && l.outcome === 'timeout'));
  });
});

describe('an edited handler file is a new deployment', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-functions-edit-'));
  const { reg } = registry({ functionsDir: dir });
  after(() => {
    void reg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the next invocation loads the new code; until then the warm environment keeps its state', async () => {
    const file = join(dir, 'editable.mjs');
    writeFileSync(file, 'let n = 0; export const handler = async () => ({ version: 1, n: ++n });');
    assert.deepEqual(await reg.invoke('editable', {}), { version: 1, n: 1 });
    assert.deepEqual(await reg.invoke('editable', {}), { version: 1, n: 2 });
    writeFileSync(file, 'let n = 0; export const handler = async () => ({ version: 2, n: ++n, edited: true });');
    assert.deepEqual(await reg.invoke('editable', {}), { version: 2, n: 1, edited: true });
  });
});

describe("the config file's functions mapping", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-functions-'));
  const file = join(dir, 'tobira.json');
  const write = (functions: Record<string, unknown>) => writeFileSync(file, JSON.stringify({ functions }, null, 2));
  // Relative paths are relative to the config file.
  const versions = relative(dir, join(MAPPED, 'versions.mjs'));
  write({
    'mapped-fn': { handler: `${versions}#first` },
    [ARN('by-arn')]: { handler: `${versions}#second` },
    echo: { handler: `${versions}#first` },
    'py-mapped': { handler: join(MAPPED, 'pymapped.py#answer') },
  });
  const { reg, lines } = registry({ configFile: file });
  after(() => {
    void reg.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a name or an ARN maps to path#export; the functions directory comes first', async () => {
    assert.deepEqual(await reg.invoke('mapped-fn', {}), { version: 'first' });
    assert.deepEqual(reg.resolve('mapped-fn'), { kind: 'node', file: join(MAPPED, 'versions.mjs'), handler: 'first', source: 'config' });
    // Looked up as given, then without the qualifier.
    assert.deepEqual(await reg.invoke(ARN('by-arn', 'prod'), {}), { version: 'second' });
    assert.equal(reg.resolve('by-arn'), undefined, 'the mapping names the ARN, not the bare name');
    assert.equal(reg.resolve('echo')?.source, 'functions-dir');
  });

  test('a Python handler through the mapping', needs('python3'), async () => {
    assert.deepEqual(await reg.invoke('py-mapped', {}), { version: 'python', functionName: 'py-mapped' });
  });

  test('an edited file applies to the next call; one that stops parsing keeps the last good mapping', async () => {
    write({ 'mapped-fn': { handler: `${versions}#second` } });
    assert.deepEqual(await reg.invoke('mapped-fn', {}), { version: 'second' });
    assert.equal(reg.resolve(ARN('by-arn')), undefined, 'removed from the file');
    writeFileSync(file, '{"functions": {"mapped-fn": ');
    assert.deepEqual(await reg.invoke('mapped-fn', {}), { version: 'second' });
    assert.ok(lines.some((l) => l.level === 40 && /not JSON.*keeping the functions mapping/.test(l.msg)), JSON.stringify(lines));
    write({ 'mapped-fn': { handler: `${versions}#first` } });
    assert.deepEqual(await reg.invoke('mapped-fn', {}), { version: 'first' });
  });

  test('a malformed mapping at start-up is refused with the entry it is about', () => {
    const bad = join(dir, 'bad.json');
    const cases: [unknown, RegExp][] = [
      [{ functions: [] }, /"functions" must be an object/],
      [{ functions: { f: { handler: 'a.mjs', invokeUrl: 'http://x' } } }, /functions\["f"\] needs exactly one/],
      [{ functions: { f: { handler: 'a.rb#handler' } } }, /not a \.mjs, \.js, \.ts or \.py file/],
      [{ functions: { f: { handler: 'a.mjs#not-a-name' } } }, /invalid export/],
      [{ functions: { f: { invokeUrl: 'ftp://x' } } }, /http/],
    ];
    for (const [content, message] of cases) {
      writeFileSync(bad, JSON.stringify(content));
      assert.throws(() => new FunctionRegistry({ region: 'us-east-1', accountId: '1', log: pino({ level: 'silent' }), configFile: bad }), message);
    }
  });
});

describe('inside Tobira: App.functions, and the start-up check of LambdaConfig', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tobira-functions-data-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('hangs, exits and garbage fail with typed errors while the server keeps serving', async () => {
    const t = await startTestServer({ functionsDir: DIR, configFile: null, lambdaEndpoint: null });
    try {
      const cognito = new CognitoIdentityProviderClient({ endpoint: t.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      const results = await Promise.allSettled([
        t.app.functions.invoke('hangs', {}, { timeoutMs: 500 }),
        t.app.functions.invoke('exits', {}),
        t.app.functions.invoke('garbage', {}),
        cognito.send(new ListUserPoolsCommand({ MaxResults: 5 })),
      ]);
      assert.ok(results[0].status === 'rejected' && results[0].reason instanceof FunctionTimedOut);
      assert.ok(results[1].status === 'rejected' && results[1].reason instanceof FunctionUnreachable);
      assert.ok(results[2].status === 'rejected' && results[2].reason instanceof FunctionInvalidAnswer);
      assert.equal(results[3].status, 'fulfilled');
      assert.equal((await fetch(`${t.url}/health`)).status, 200);
      assert.equal(((await t.app.functions.invoke('echo', {})) as any).context.functionName, 'echo');
    } finally {
      await t.close();
    }
    // Closed with the server: no environment is left to run anything.
    await assert.rejects(t.app.functions.invoke('echo', {}), FunctionUnreachable);
  });

  test('`tobira start` warns about every LambdaConfig function that resolves to nothing', async () => {
    const first = await startTestServer({ dataDir, functionsDir: DIR });
    try {
      const cognito = new CognitoIdentityProviderClient({ endpoint: first.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      await cognito.send(
        new CreateUserPoolCommand({
          PoolName: 'triggers',
          LambdaConfig: {
            PreSignUp: 'arn:aws:lambda:us-east-1:123456789:function:echo',
            PostConfirmation: 'arn:aws:lambda:us-east-1:123456789:function:missing-post-confirmation',
            CustomEmailSender: { LambdaVersion: 'V1_0', LambdaArn: 'arn:aws:lambda:us-east-1:123456789:function:missing-sender' },
            KMSKeyID: 'arn:aws:kms:us-east-1:123456789:key/0b8c1e2a-0000-4000-8000-000000000000',
          },
        }),
      );
    } finally {
      await first.close();
    }
    const { log, lines } = capturedLog();
    const second = await startTestServer({ dataDir, functionsDir: DIR }, { log });
    await second.close();
    const warnings = lines.filter((l) => l.level === 40 && l.trigger);
    assert.deepEqual(
      warnings.map((l) => [l.trigger, l.function]).sort(),
      [
        ['CustomEmailSender', 'arn:aws:lambda:us-east-1:123456789:function:missing-sender'],
        ['PostConfirmation', 'arn:aws:lambda:us-east-1:123456789:function:missing-post-confirmation'],
      ],
    );
    assert.match(warnings[0].msg, /resolves to nothing/);
    assert.match(warnings[0].poolId, /^us-east-1_/);
  });
});

describe('the gateway runs routes by function name through the same registry', () => {
  const { reg, lines } = registry();
  after(() => reg.close());

  test('a route {"function": "<name or ARN>"} invokes it; its failures are 500 / 503 as API Gateway answers', async () => {
    const route = (path: string, fn: string, timeoutSeconds = 5) => ({ route: `GET ${path}`, function: fn, authorizer: 'none', timeoutSeconds });
    const gw = await gatewayFor(
      { apiType: 'http', routes: [route('/echo', ARN('echo')), route('/typed', 'typed'), route('/hangs', 'hangs', 0.5), route('/missing', 'missing-fn')] },
      { functions: reg },
    );
    try {
      const r = await fetch(`${gw.url}/echo?x=1`);
      assert.equal(r.status, 200);
      const body = (await r.json()) as any;
      assert.equal(body.event.rawPath, '/echo');
      assert.equal(body.event.version, '2.0');
      assert.equal(body.context.invokedFunctionArn, ARN('echo'));
      assert.equal((await fetch(`${gw.url}/hangs`)).status, 503);
      assert.equal((await fetch(`${gw.url}/missing`)).status, 500);
      assert.ok(lines.some((l) => l.function === ARN('echo') && l.outcome === 'ok'));
    } finally {
      await gw.close();
    }
    // The registry was lent to the gateway, not closed with it.
    assert.deepEqual(await reg.invoke('typed', { name: 'again' }), { greeting: 'hello again', functionName: 'typed' });
  });
});
