// The processes under load: Tobira started as `tobira start --in-memory` (a clone's cached bundle
// of its sources, or the packed bundle), and the bare Fastify ceiling; and cold start, spawn to
// first answer.
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { execFile } from 'node:child_process';
import { BIN, freePort, spawnTobira, stopOnExit, stopSpawned, type Spawned } from '../../test/helpers/process.ts';

const root = join(import.meta.dirname, '..', '..');

export interface Served {
  pid: number;
  url: string;
  close(): Promise<void>;
}

/** The status of GET url, or 0 when nothing answers. */
function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(2000, () => req.destroy());
  });
}

/** Polls `url` every 5 ms (waitForHealth's 100 ms would blur a cold start) until it answers 200. */
async function firstAnswer(url: string, alive: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await status(url)) !== 200) {
    if (!alive()) throw new Error(`the process serving ${url} exited before answering`);
    if (Date.now() > deadline) throw new Error(`no answer from ${url}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const running = (s: Spawned) => s.child.exitCode === null && s.child.signalCode === null;

/**
 * `node <bin> start --in-memory` on a free port. The log at warn: per-request info lines would be
 * a cost of the bench's terminal, not of the server's work.
 */
export async function startTobiraProcess(bin = BIN, cwd?: string): Promise<Served & { startMs: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  // TOBIRA_BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when the bench stops it
  // (--cpu-prof is refused in NODE_OPTIONS); bench/harness/profile-summary.ts reads it.
  const profileDir = process.env.TOBIRA_BENCH_CPU_PROF;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  // TOBIRA_BENCH_NODE_ARGS="--max-semi-space-size=4 ...": node flags for the server, to try a setting.
  nodeArgs.push(...(process.env.TOBIRA_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean));
  const p = spawnTobira(['start', '--in-memory', '--port', String(port)], { TOBIRA_LOG_LEVEL: 'warn' }, cwd, bin, nodeArgs);
  try {
    await firstAnswer(`${url}/health`, () => running(p));
  } catch (err) {
    await stopSpawned(p);
    throw new Error(`${(err as Error).message}\n${p.output()}`);
  }
  const close = profileDir ? () => stopGracefully(p) : () => stopSpawned(p);
  return { pid: p.child.pid!, url, startMs: performance.now() - t0, close };
}

/** SIGTERM and wait, so that a --cpu-prof profile is written; SIGKILL after 10 s. */
async function stopGracefully(p: Spawned): Promise<void> {
  if (!running(p)) return;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await p.exited;
  clearTimeout(timer);
}

/** The bare Fastify route of bare-fastify.mjs, in its own process. */
export async function startBareFastify(): Promise<Served & { startMs: number }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(import.meta.dirname, 'bare-fastify.mjs'), String(port)], { stdio: 'ignore' });
  const forget = stopOnExit(() => child.kill('SIGKILL'));
  const exited = new Promise<void>((resolve) => child.once('exit', () => (forget(), resolve())));
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  try {
    await firstAnswer(`${url}/health`, () => child.exitCode === null);
  } catch (err) {
    await close();
    throw err;
  }
  return { pid: child.pid!, url, startMs: performance.now() - t0, close };
}

/** Cold starts, one after the other: spawn to first 200 from /health, in ms. */
export async function coldStarts(n: number, start: () => Promise<Served & { startMs: number }>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = await start();
    out.push(s.startMs);
    await s.close();
  }
  return out;
}

/**
 * A clone of its own: src/, scripts/, bin/, package.json and tsconfig.json copied to a temporary
 * directory, beside a node_modules that links this checkout's packages one by one, so that the
 * bundle bin/tobira.cjs keeps of the sources (node_modules/.cache/tobira/) is this copy's, and
 * edits others make to this checkout's src/ meanwhile do not rebuild it. `edit()` marks a source
 * file changed (its change time), so that the next start bundles the sources again.
 */
export function cloneCopy(): { bin: string; dir: string; edit: () => void; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-bench-clone-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  for (const d of ['src', 'scripts', 'bin']) cpSync(join(root, d), join(dir, d), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(join(root, f), join(dir, f));
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== '.cache') symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
  }
  const edited = join(dir, 'src', 'cli', 'main.ts');
  const edit = () => utimesSync(edited, new Date(), new Date());
  return { bin: join(dir, 'bin', 'tobira.cjs'), dir, edit, remove };
}

/**
 * The package as installed, without its sources: scripts/build.mjs run on a copy of src/ in a
 * temporary directory (not on this checkout's dist/, which others may be using), then bin/, dist/
 * and package.json beside a link to this checkout's node_modules, as test/package.test.ts does.
 * Returns the bin to run and a cleanup.
 */
export async function bundledCopy(): Promise<{ bin: string; dir: string; remove: () => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-bench-bundle-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const build = join(dir, 'build');
    for (const d of ['src', 'scripts', 'bin']) cpSync(join(root, d), join(build, d), { recursive: true });
    cpSync(join(root, 'package.json'), join(build, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(build, 'node_modules'), 'dir');
    await promisify(execFile)(process.execPath, [join(build, 'scripts', 'build.mjs')], { cwd: build, maxBuffer: 1 << 24 });
    const pkg = join(dir, 'package');
    for (const d of ['bin', 'dist']) cpSync(join(build, d), join(pkg, d), { recursive: true });
    cpSync(join(root, 'package.json'), join(pkg, 'package.json'));
    symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'), 'dir');
    return { bin: join(pkg, 'bin', 'tobira.cjs'), dir, remove };
  } catch (err) {
    remove();
    throw err;
  }
}
