// The TypeScript sources bundled by esbuild, in the one way both users of it want: scripts/build.mjs
// makes dist/ with it at `npm pack`, and bin/tobira.cjs, in a clone, keeps a bundle of the source
// tree under node_modules/.cache/tobira/<key>/ so that a start compiles nothing (issue 17: tsx
// compiling at every start cost a second of cold start and its loader thread some 50 MiB).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Files the functions runtime starts by path (src/functions/*-environment.ts: new URL(..., import.meta.url)). */
const BESIDE_THE_BUNDLE = ['functions/node-worker.mjs', 'functions/python-runner.py'];

/**
 * Bundles `entryPoints` (name -> file under src/) into `outdir` as ESM for Node 20, with a linked
 * source map each, and copies beside them the files the code loads relative to itself.
 * Dependencies stay in node_modules (native modules among them: better-sqlite3, @node-rs/argon2);
 * only our code is bundled. Splitting keeps the modules loaded by `await import()` (the
 * PostgreSQL store, the declarative loader, the server itself for the commands that start
 * none) out of a process that does not need them.
 * `sourcesContent: false` leaves the sources out of the maps (the clone has them).
 */
export async function bundle({ entryPoints, outdir, sourcesContent = true }) {
  const { build, stop } = await import('esbuild');
  await build({
    entryPoints: Object.fromEntries(Object.entries(entryPoints).map(([name, file]) => [name, join(root, 'src', file)])),
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    sourcesContent,
    logLevel: 'warning',
  }).finally(() => stop()); // esbuild's service process would otherwise live as long as the server
  for (const f of BESIDE_THE_BUNDLE) copyFileSync(join(root, 'src', f), join(outdir, f.split('/').pop()));
}

const CACHE = join(root, 'node_modules', '.cache', 'tobira');
/** A builder's lock older than this is taken to be a builder that died. */
const STALE_LOCK_MS = 120_000;
/** Bundles of other states of src/ are removed once unused this long (a process running one touches it hourly). */
const UNUSED_MS = 6 * 3600_000;

/**
 * The bundle of this clone's `src/cli/main.ts`, built when missing: its directory, its path, and
 * the build's time in ms when this call built it. The key hashes what the bundle depends on:
 * every file under src/ by path, size, inode and its modification and change times in
 * nanoseconds (an edit changes ctime even within the same clock tick and when an editor puts
 * mtime back), this file (the esbuild options), package.json, tsconfig.json and esbuild's
 * version. For 332 files, in a fresh process on a busy 2-core machine: about 10 ms of CPU, where
 * reading and hashing their contents took 18 ms more.
 *
 * A bundle is built in a temporary directory and renamed into place, so a start never reads
 * half of one; concurrent first starts wait for one builder (a lock directory) and share its
 * bundle. A failed build throws with esbuild's messages (also printed on stderr).
 */
export async function cachedCliBundle() {
  const dir = join(CACHE, treeKey());
  const cli = join(dir, 'cli.mjs');
  // This process loads chunks and starts node-worker.mjs from `dir` as long as it runs: marked as
  // used every hour, the bundle outlives UNUSED_MS.
  setInterval(() => touch(dir), 3600_000).unref();
  if (touch(dir)) return { dir, cli, builtMs: undefined };
  mkdirSync(CACHE, { recursive: true });
  const lock = `${dir}.lock`;
  for (;;) {
    if (takeLock(lock)) break;
    await new Promise((r) => setTimeout(r, 50));
    if (touch(dir)) return { dir, cli, builtMs: undefined };
  }
  try {
    if (touch(dir)) return { dir, cli, builtMs: undefined };
    const t0 = performance.now();
    const tmp = mkdtempSync(`${dir}.tmp-`);
    try {
      await bundle({ entryPoints: { cli: 'cli/main.ts' }, outdir: tmp, sourcesContent: false });
      renameSync(tmp, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      // Another builder got there first (its lock was stale): its bundle is as good as ours.
      if (err?.code === 'ENOTEMPTY' || err?.code === 'EEXIST') return { dir, cli, builtMs: undefined };
      throw err;
    }
    removeUnused(dir);
    return { dir, cli, builtMs: performance.now() - t0 };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function treeKey() {
  let text = '';
  const add = (name, s) => (text += `${name}\0${s ? `${s.size}\0${s.ino}\0${s.mtimeNs}\0${s.ctimeNs}` : '-'}\n`);
  // One readdir a directory and one stat a file, and no path.join or path.relative (which
  // resolve against the working directory each call): this runs at every start.
  const walk = (dir, name) => {
    for (const d of readdirSync(dir, { withFileTypes: true })) {
      if (d.isDirectory()) walk(`${dir}/${d.name}`, `${name}/${d.name}`);
      else add(`${name}/${d.name}`, statSync(`${dir}/${d.name}`, { bigint: true }));
    }
  };
  walk(join(root, 'src'), 'src');
  for (const f of ['scripts/bundle.mjs', 'package.json', 'tsconfig.json']) add(f, statSync(join(root, f), { bigint: true, throwIfNoEntry: false }));
  const esbuild = join(root, 'node_modules', 'esbuild', 'package.json');
  text += `esbuild ${existsSync(esbuild) ? JSON.parse(readFileSync(esbuild, 'utf8')).version : '?'}`;
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** True when the bundle `dir` is there, marking it used now (removeUnused spares what is in use). */
function touch(dir) {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
    return true;
  } catch (err) {
    if (err.code === 'ENOENT') return false;
    return existsSync(dir); // a cache someone else owns, or read-only: used, not marked
  }
}

function takeLock(lock) {
  try {
    mkdirSync(lock);
    return true;
  } catch (err) {
    if (err.code !== 'EEXIST') throw err;
  }
  const s = statSync(lock, { throwIfNoEntry: false });
  if (s && Date.now() - s.mtimeMs > STALE_LOCK_MS) {
    rmSync(lock, { recursive: true, force: true });
    return takeLock(lock);
  }
  return false;
}

/** Removes the bundles (and leftovers of builders that died) unused for UNUSED_MS, `keep` aside. */
function removeUnused(keep) {
  for (const name of readdirSync(CACHE)) {
    const path = join(CACHE, name);
    if (path === keep) continue;
    const s = statSync(path, { throwIfNoEntry: false });
    if (s && Date.now() - s.mtimeMs > UNUSED_MS) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Stack traces that point at the .ts files, as they did under tsx: the frames in the bundle's
 * files `dir` are mapped through their .map files, each read on the first stack trace that needs
 * it. Node's own support (--enable-source-maps, process.setSourceMapsEnabled) reads and parses
 * every map as its module loads, at every start, for traces a healthy server rarely prints:
 * importing the bundle took 19 ms more CPU (410 against 391 ms, medians of 12 on a busy 2-core
 * machine) and 1.5 MiB more heap; this way, nothing measurable until a trace is printed.
 */
export function mapStackTraces(dir) {
  // Modules run from their real paths; the maps' sources are relative to `dir` as esbuild was
  // given it (node_modules may be a link into another checkout).
  const prefix = `${pathToFileURL(realpathSync(dir)).href}/`;
  const base = `${pathToFileURL(dir).href}/`;
  const maps = new Map();
  const mapOf = (url) => {
    if (!maps.has(url)) {
      let map = null;
      try {
        const payload = JSON.parse(readFileSync(`${fileURLToPath(url)}.map`, 'utf8'));
        payload.sources = payload.sources.map((s) => fileURLToPath(new URL(s, base)));
        map = new SourceMap(payload);
      } catch {
        // No map (a bundle removed under a long-running process): the bundle's own lines.
      }
      maps.set(url, map);
    }
    return maps.get(url);
  };
  const frameText = (frame) => {
    const text = String(frame);
    const file = frame.getFileName();
    if (!file?.startsWith(prefix)) return text;
    const line = frame.getLineNumber();
    const column = frame.getColumnNumber();
    const entry = mapOf(file)?.findEntry(line - 1, column - 1);
    if (!entry?.originalSource) return text;
    return text.replace(`${file}:${line}:${column}`, `${entry.originalSource}:${entry.originalLine + 1}:${entry.originalColumn + 1}`);
  };
  Error.prepareStackTrace = (error, frames) => {
    let head;
    try {
      head = Error.prototype.toString.call(error);
    } catch {
      head = '<error>';
    }
    return head + frames.map((frame) => `\n    at ${frameText(frame)}`).join('');
  };
}
