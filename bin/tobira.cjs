#!/usr/bin/env node
// Entry point of the `tobira` command. An installed package runs the JavaScript bundled under
// dist/ (scripts/build.mjs, at `npm pack`). A clone, which has the TypeScript sources, runs a
// bundle of them that scripts/bundle.mjs keeps under node_modules/.cache/tobira/, rebuilt (in
// about a second) on the first start after a file under src/ changed, so it needs no build step:
// `npm install` then `npx tobira start`. TOBIRA_FROM_SOURCES=tsx runs the sources through tsx
// instead (slower to start, heavier), for debugging the sources themselves.
//
// This file is CommonJS so that it runs before libuv's thread pool exists: Node reads an ES module
// entry through that pool, which fixes its size (UV_THREADPOOL_SIZE, read once) before the
// module's first line. The pool runs the argon2id hashes, 19 MiB each while they run: one thread
// per core (of this process's share of them, with --workers) keeps every core hashing, and a
// hash waiting in the pool's queue holds no memory (domain/users/passwords.ts keeps one more
// queued than there are threads). Four threads on two cores ran three hashes at once: 19 MiB more
// at the peak, and fewer hashes per CPU-second (bench/README.md). A UV_THREADPOOL_SIZE in the
// environment is left as it is.
'use strict';
const { existsSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

if (!process.env.UV_THREADPOOL_SIZE) {
  const share = Number(process.env.TOBIRA_CLUSTER_SIZE) || 1;
  process.env.UV_THREADPOOL_SIZE = String(Math.max(1, Math.ceil(availableParallelism() / share)));
  // cli/workers.ts gives each worker its share instead of this process's size.
  globalThis[Symbol.for('tobira.threadPoolSized')] = true;
}

async function run() {
  const fromSources = existsSync(join(__dirname, '..', 'src', 'cli', 'main.ts'));
  let main;
  if (fromSources && process.env.TOBIRA_FROM_SOURCES === 'tsx') {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import(pathToFileURL(join(__dirname, '..', 'src', 'cli', 'main.ts')).href));
  } else if (fromSources) {
    const { cachedCliBundle, mapStackTraces } = await import(pathToFileURL(join(__dirname, '..', 'scripts', 'bundle.mjs')).href);
    let bundle;
    try {
      bundle = await cachedCliBundle();
    } catch (err) {
      // esbuild has printed its messages, with the code around each, above.
      console.error(`tobira: the sources in src/ did not bundle: ${err.message}\n(TOBIRA_FROM_SOURCES=tsx runs them through tsx instead)`);
      process.exit(1);
    }
    if (bundle.builtMs !== undefined) console.error(`tobira: bundled src/ into ${bundle.dir} in ${Math.round(bundle.builtMs)} ms`);
    mapStackTraces(bundle.dir);
    ({ main } = await import(pathToFileURL(bundle.cli).href));
  } else {
    ({ main } = await import(pathToFileURL(join(__dirname, '..', 'dist', 'cli.mjs')).href));
  }
  await main(process.argv.slice(2));
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
