import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { get as httpsGet } from 'node:https';
import { readFileSync } from 'node:fs';

export const BIN = join(import.meta.dirname, '..', '..', 'bin', 'tobira.cjs');

/** A port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Spawned {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs `stop` (synchronous) when this process ends: on exit (a test file whose tests are done,
 * --test-force-exit included) and on the signals that end it (the runner's --test-timeout kills a
 * file with SIGTERM, which skips 'exit' handlers). For servers and child processes that a failed
 * test left running, so that none outlives its test file. Returns a function that unregisters it.
 */
export function stopOnExit(stop: () => void): () => void {
  exitHooks.add(stop);
  return () => exitHooks.delete(stop);
}
const exitHooks = new Set<() => void>();
const runExitHooks = () => {
  for (const stop of exitHooks) {
    try {
      stop();
    } catch {
      /* best effort: the process is ending */
    }
  }
  exitHooks.clear();
};
process.once('exit', runExitHooks);
for (const [signal, number] of [['SIGTERM', 15], ['SIGINT', 2], ['SIGHUP', 1]] as const) {
  process.once(signal, () => {
    runExitHooks();
    process.exit(128 + number);
  });
}

/** Runs `tobira <args>` as a child process (the clone's bin, or `bin` given), collecting its output. */
export function spawnTobira(args: string[], env: Record<string, string> = {}, cwd?: string, bin = BIN, nodeArgs: string[] = []): Spawned {
  const child = spawn(process.execPath, [...nodeArgs, bin, ...args], {
    cwd,
    // One process per server unless a test asks for workers (test/workers.test.ts): the default,
    // one per core, would multiply the suite's processes. TOBIRA_WORKERS=2 runs it with two.
    env: { TOBIRA_WORKERS: '1', ...process.env, TOBIRA_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const forget = stopOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => (forget(), resolve({ code, signal }))),
  );
  return { child, output: () => out, exited };
}

/**
 * Stops spawned processes that still run, for `finally` blocks: a test that failed half-way must
 * not leave its children running (a no-op for one that already exited).
 */
export async function stopSpawned(...procs: (Spawned | undefined)[]): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
      p.child.kill('SIGKILL');
      await p.exited;
    }),
  );
}

/**
 * Polls GET /health until it answers 200, or fails after timeoutMs. `ca`: the PEM an https URL's
 * certificate must chain to, or `caFile` holding it once the server has made it (fetch cannot be
 * given a CA, so node:https asks then).
 */
export async function waitForHealth(url: string, timeoutMs = 15_000, opts: { ca?: string; caFile?: string } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const ca = opts.ca ?? (opts.caFile ? readFileSync(opts.caFile, 'utf8') : undefined);
      const status = ca ? await httpsStatus(`${url}/health`, ca) : (await fetch(`${url}/health`)).status;
      if (status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`no health from ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The status of GET `url` over HTTPS, trusting `ca` only. */
function httpsStatus(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsGet(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}
