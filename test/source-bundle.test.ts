import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CognitoIdentityProviderClient, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { freePort, spawnTobira, stopSpawned, waitForHealth, type Spawned } from './helpers/process.ts';

/**
 * A clone runs a bundle of its sources kept under node_modules/.cache/tobira/ (bin/tobira.cjs,
 * scripts/bundle.mjs): built on the first start, reused by the next, rebuilt after an edit. Each
 * test works on a copy of the sources whose node_modules links this checkout's packages one by
 * one, so that its cache is its own (and this checkout's src/ is never touched).
 */
const root = join(import.meta.dirname, '..');
const run = promisify(execFile);
const BUILT = /tobira: bundled src\/ into (\S+) in \d+ ms/;

function copyOfTheClone(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tobira-clone-'));
  for (const d of ['src', 'scripts', 'bin']) cpSync(join(root, d), join(dir, d), { recursive: true });
  for (const f of ['package.json', 'tsconfig.json']) cpSync(join(root, f), join(dir, f));
  mkdirSync(join(dir, 'node_modules'));
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name !== '.cache') symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
  }
  return dir;
}

const cacheOf = (clone: string) => join(clone, 'node_modules', '.cache', 'tobira');
const bundlesIn = (clone: string) => (existsSync(cacheOf(clone)) ? readdirSync(cacheOf(clone)).sort() : []);

/** `tobira <args>` from the clone: its exit code, stdout and stderr. */
async function tobira(clone: string, args: string[], env: Record<string, string> = {}) {
  const r = await run(process.execPath, [join(clone, 'bin', 'tobira.cjs'), ...args], { cwd: clone, env: { ...process.env, ...env }, maxBuffer: 1 << 24 }).catch((err) => err);
  return { code: (r.code as number | undefined) ?? 0, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Replaces `from` by `to` in the clone's src/<file>. */
function edit(clone: string, file: string, from: string, to: string): void {
  const path = join(clone, 'src', file);
  const text = readFileSync(path, 'utf8');
  assert.ok(text.includes(from), `${file} holds ${from}`);
  writeFileSync(path, text.replace(from, to));
}

async function startServer(clone: string): Promise<{ p: Spawned; url: string }> {
  const port = await freePort();
  const p = spawnTobira(['start', '--in-memory', '--port', String(port)], {}, clone, join(clone, 'bin', 'tobira.cjs'));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url, 120_000);
  } catch (err) {
    await stopSpawned(p);
    throw new Error(`${(err as Error).message}\n${p.output()}`);
  }
  return { p, url };
}

describe('a clone runs a cached bundle of its sources', () => {
  const clones: string[] = [];
  let clone: string;

  before(() => {
    clone = copyOfTheClone();
    clones.push(clone);
  });

  after(() => {
    for (const c of clones) rmSync(c, { recursive: true, force: true });
  });

  it('the first start bundles the sources and serves; the second reuses the bundle', async () => {
    let first: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      first = await startServer(clone);
      const built = BUILT.exec(first.p.output());
      assert.ok(built, first.p.output());
      assert.ok(built[1].startsWith(cacheOf(clone)), built[1]);
      assert.ok(existsSync(join(built[1], 'cli.mjs')) && existsSync(join(built[1], 'node-worker.mjs')) && existsSync(join(built[1], 'python-runner.py')));
      const client = new CognitoIdentityProviderClient({ endpoint: first.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      assert.deepEqual((await client.send(new ListUserPoolsCommand({ MaxResults: 10 }))).UserPools, []);
      client.destroy();
    } finally {
      await stopSpawned(first?.p);
    }
    const cached = bundlesIn(clone);
    assert.equal(cached.length, 1, cached.join(' '));
    const builtAt = statSync(join(cacheOf(clone), cached[0], 'cli.mjs')).mtimeMs;

    const second = await tobira(clone, ['--help']);
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stderr, BUILT);
    assert.match(second.stdout, /Run the server/);
    assert.deepEqual(bundlesIn(clone), cached);
    assert.equal(statSync(join(cacheOf(clone), cached[0], 'cli.mjs')).mtimeMs, builtAt);
  });

  it('an edited source file is bundled again on the next start, even one of the same size and modification time', async () => {
    edit(clone, 'cli/flags.ts', "summary: 'Run the server'", "summary: 'Edited once!!!'");
    const once = await tobira(clone, ['--help']);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stderr, BUILT);
    assert.match(once.stdout, /Edited once!!!/);

    // A second edit in the same clock tick: same size, and the modification time put back.
    const path = join(clone, 'src', 'cli', 'flags.ts');
    const { atime, mtime } = statSync(path);
    edit(clone, 'cli/flags.ts', "summary: 'Edited once!!!'", "summary: 'Edited twice!!'");
    utimesSync(path, atime, mtime);
    const twice = await tobira(clone, ['--help']);
    assert.equal(twice.code, 0, twice.stderr);
    assert.match(twice.stderr, BUILT);
    assert.match(twice.stdout, /Edited twice!!/);
  });

  it('a new bundle removes the ones unused for hours, and keeps the others', async () => {
    const old = join(cacheOf(clone), 'unused-since-this-morning');
    const recent = join(cacheOf(clone), 'used-a-minute-ago');
    for (const d of [old, recent]) mkdirSync(d);
    const sevenHoursAgo = new Date(Date.now() - 7 * 3600_000);
    utimesSync(old, sevenHoursAgo, sevenHoursAgo);
    edit(clone, 'cli/flags.ts', "summary: 'Edited twice!!'", "summary: 'Edited thrice'");
    const r = await tobira(clone, ['--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, BUILT);
    assert.ok(!existsSync(old), 'the bundle unused for 7 hours is removed');
    assert.ok(existsSync(recent), 'the one used a minute ago stays');
    rmSync(recent, { recursive: true });
  });

  it('a syntax error fails the start with esbuild\'s message, and leaves no bundle behind', async () => {
    const broken = copyOfTheClone();
    clones.push(broken);
    edit(broken, 'cli/flags.ts', "summary: 'Run the server'", "summary: 'Run the server'(;");
    const r = await tobira(broken, ['start', '--in-memory', '--port', String(await freePort())]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /src\/cli\/flags\.ts:\d+:\d+/);
    assert.match(r.stderr, /tobira: the sources in src\/ did not bundle/);
    assert.deepEqual(bundlesIn(broken), []);
  });

  it('two first starts at once both come up, and one of them bundles', async () => {
    edit(clone, 'cli/flags.ts', "summary: 'Edited thrice'", "summary: 'Run the server'");
    const before = bundlesIn(clone).length;
    const started = await Promise.allSettled([startServer(clone), startServer(clone)]);
    try {
      for (const s of started) assert.equal(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
      const outputs = started.map((s) => (s.status === 'fulfilled' ? s.value.p.output() : ''));
      assert.equal(outputs.filter((o) => BUILT.test(o)).length, 1, outputs.join('\n---\n'));
      assert.equal(bundlesIn(clone).length, before + 1);
    } finally {
      await stopSpawned(...started.map((s) => (s.status === 'fulfilled' ? s.value.p : undefined)));
    }
  });

  it('stack traces point at the TypeScript sources', async () => {
    edit(clone, 'cli/main.ts', 'const [command, ...rest] = argv;', "const [command, ...rest] = argv;\n  if (command === 'crash') throw new Error('crashed on purpose');");
    const r = await tobira(clone, ['crash']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`Error: crashed on purpose\\n\\s+at main \\(${join(clone, 'src', 'cli', 'main.ts').replace(/[.]/g, '\\.')}:\\d+:\\d+\\)`), r.stderr);
  });

  it('TOBIRA_FROM_SOURCES=tsx runs the sources through tsx, without bundling', async () => {
    edit(clone, 'cli/flags.ts', "summary: 'Run the server'", "summary: 'Through tsx!!'");
    const before = bundlesIn(clone);
    const r = await tobira(clone, ['--help'], { TOBIRA_FROM_SOURCES: 'tsx' });
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, BUILT);
    assert.match(r.stdout, /Through tsx!!/);
    assert.deepEqual(bundlesIn(clone), before);
  });
});
