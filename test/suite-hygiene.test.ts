import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A failing test never hangs the suite: a test file whose test fails with a server and a child
 * process still open, or whose test never finishes, still exits (with a failure), under the
 * runner flags of `npm test`, and leaves no process behind. The fixture is
 * test/fixtures/failing-suite.ts.
 */
const ROOT = join(import.meta.dirname, '..');
const FIXTURE = join(import.meta.dirname, 'fixtures', 'failing-suite.ts');
const script: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.test;
/** The node arguments of `npm test` (flags and their values), without the test files. */
const flags = script.split(/\s+/).slice(1).filter((a) => !a.startsWith('test/'));

function runFixture(mode: string, timeoutMs: number, env: Record<string, string> = {}) {
  const args = [...flags.filter((f) => !f.startsWith('--test-timeout')), `--test-timeout=${timeoutMs}`, FIXTURE];
  const childEnv: Record<string, string | undefined> = { ...process.env, TOBIRA_FIXTURE: mode, ...env };
  delete childEnv.NODE_TEST_CONTEXT; // a runner of its own, not a child reporting to this one
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  // Should the run hang after all, this test fails (and kills it) instead of hanging in turn.
  const guard = setTimeout(() => child.kill('SIGKILL'), 90_000);
  return new Promise<{ code: number | null; signal: string | null; ms: number; output: string }>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, ms: Date.now() - started, output });
    }),
  );
}

/** Whether a process runs (a zombie, killed but not yet reaped by an init that never reaps, does not). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true; // no /proc: kill(pid, 0) is all there is
  }
}

test("npm test bounds every test file: --test-timeout (at most 10 minutes) and --test-force-exit", () => {
  assert.match(script, /^node /);
  const timeout = flags.find((f) => f.startsWith('--test-timeout='));
  assert.ok(timeout, `no --test-timeout in ${script}`);
  const ms = Number(timeout.split('=')[1]);
  assert.ok(ms > 0 && ms <= 600_000, `--test-timeout=${ms}`);
  assert.ok(flags.includes('--test-force-exit'), `no --test-force-exit in ${script}`);
});

test('a test failing with a server and a child process open: the file still exits promptly, failed, and the child is gone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-hygiene-'));
  try {
    const pidFile = join(dir, 'pid');
    // The timeout is far longer than the bound below: the exit must not wait for it.
    const r = await runFixture('leak', 300_000, { TOBIRA_FIXTURE_PID_FILE: pidFile });
    assert.notEqual(r.code, 0, r.output);
    assert.equal(r.signal, null, r.output);
    assert.ok(r.ms < 60_000, `took ${r.ms} ms:\n${r.output}`);
    assert.match(r.output, /deliberate failure, with nothing closed/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const deadline = Date.now() + 5_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
    assert.ok(!alive(pid), `the tobira child ${pid} outlived its test file`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a test that never finishes is stopped by --test-timeout, and the run fails', async () => {
  const r = await runFixture('hang', 5_000);
  assert.notEqual(r.code, 0, r.output);
  assert.equal(r.signal, null, r.output);
  assert.match(r.output, /timed out after 5000ms/);
});
