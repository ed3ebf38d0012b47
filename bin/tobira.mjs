#!/usr/bin/env node
// Entry point of the `tobira` command. An installed package runs the JavaScript bundled under
// dist/ (scripts/build.mjs, at `npm pack`). A clone, which has the TypeScript sources, runs a
// bundle of them that scripts/bundle.mjs keeps under node_modules/.cache/tobira/, rebuilt (in
// about a second) on the first start after a file under src/ changed, so it needs no build step:
// `npm install` then `npx tobira start`. TOBIRA_FROM_SOURCES=tsx runs the sources through tsx
// instead (slower to start, heavier), for debugging the sources themselves.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
let main;
if (fromSources && process.env.TOBIRA_FROM_SOURCES === 'tsx') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} else if (fromSources) {
  const { cachedCliBundle, mapStackTraces } = await import('../scripts/bundle.mjs');
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
  ({ main } = await import('../dist/cli.mjs'));
}
await main(process.argv.slice(2));
