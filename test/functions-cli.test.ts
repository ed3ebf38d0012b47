import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityProviderClient, CreateUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { BIN, freePort, spawnTobira, stopOnExit, stopSpawned, waitForHealth } from './helpers/process.ts';
import { startTestServer } from './helpers/tobira.ts';
import { needs } from './helpers/tools.ts';

const DIR = join(import.meta.dirname, 'fixtures', 'functions', 'dir');

/** Runs `tobira <args>` to its end, with `stdin` as its standard input. */
function tobira(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, TOBIRA_LOG_LEVEL: 'info' }, stdio: ['pipe', 'pipe', 'pipe'] });
    const forget = stopOnExit(() => child.kill('SIGKILL'));
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(stdin);
    child.on('close', (code) => (forget(), resolve({ code, stdout, stderr })));
  });
}

describe('tobira functions invoke', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-functions-cli-'));
  const eventFile = join(dir, 'event.json');
  writeFileSync(eventFile, JSON.stringify({ triggerSource: 'PreSignUp_SignUp', request: { codeParameter: '482913' } }));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('prints the answer as JSON; the log line on stderr names the function, not the event', async () => {
    const r = await tobira(['functions', 'invoke', 'arn:aws:lambda:us-east-1:123456789012:function:echo', '--event', eventFile, '--functions-dir', DIR]);
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout);
    assert.deepEqual(answer.event, { triggerSource: 'PreSignUp_SignUp', request: { codeParameter: '482913' } });
    assert.equal(answer.context.invokedFunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:echo');
    assert.match(r.stderr, /"outcome":"ok"/);
    assert.doesNotMatch(r.stderr, /482913/);
  });

  test('--event - reads stdin; a TypeScript handler', async () => {
    const r = await tobira(['functions', 'invoke', 'typed', '--event', '-', '--functions-dir', DIR], '{"name":"stdin"}');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { greeting: 'hello stdin', functionName: 'typed' });
  });

  test('a Python handler', needs('python3'), async () => {
    const r = await tobira(['functions', 'invoke', 'pyecho', '--event', eventFile, '--functions-dir', DIR]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).context.functionName, 'pyecho');
  });

  test('failures: exit code 1 and the typed error on stderr, nothing on stdout', async () => {
    const cases: [string[], RegExp][] = [
      [['throws'], /FunctionFailed: InvalidSignUp: email domain not allowed/],
      [['hangs', '--timeout-seconds', '0.5'], /FunctionTimedOut: Task timed out after 0\.50 seconds/],
      [['no-such-function'], /FunctionNotFound: Function not found: no-such-function/],
      [['echo', '--event', join(dir, 'absent.json')], /cannot read the event/],
      [['echo', '--colour', 'red'], /unknown option --colour/],
    ];
    for (const [args, message] of cases) {
      const r = await tobira(['functions', 'invoke', ...args, '--functions-dir', DIR]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });
});

describe('tobira start: the start-up warning', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tobira-functions-start-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  test('one warning line per LambdaConfig function that resolves to nothing', async () => {
    const seed = await startTestServer({ dataDir });
    try {
      const cognito = new CognitoIdentityProviderClient({ endpoint: seed.url, region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      await cognito.send(
        new CreateUserPoolCommand({
          PoolName: 'seed-003',
          LambdaConfig: {
            PreSignUp: 'arn:aws:lambda:us-east-1:123456789:function:echo',
            PreTokenGeneration: 'arn:aws:lambda:us-east-1:123456789:function:enrich-token',
          },
        }),
      );
    } finally {
      await seed.close();
    }
    const port = await freePort();
    const p = spawnTobira(['start', '--port', String(port), '--data-dir', dataDir, '--functions-dir', DIR]);
    try {
      await waitForHealth(`http://127.0.0.1:${port}`, 60_000);
      // The check runs before startTobira returns, so before the "listening" line.
      for (let i = 0; i < 100 && !/Tobira listening/.test(p.output()); i++) await new Promise((r) => setTimeout(r, 100));
      const out = p.output();
      assert.match(out, /the PreTokenGeneration function arn:aws:lambda:us-east-1:123456789:function:enrich-token resolves to nothing/);
      assert.doesNotMatch(out, /function:echo resolves/);
    } finally {
      await stopSpawned(p);
    }
  });
});
