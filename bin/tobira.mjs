#!/usr/bin/env node
// Entry point of the `tobira` command. An installed package runs the JavaScript bundled under
// dist/ (scripts/build.mjs, at `npm pack`); a clone, which has the TypeScript sources, runs them
// through tsx, so it needs no build step: `npm install` then `npx tobira start`.
import { existsSync } from 'node:fs';

const fromSources = existsSync(new URL('../src/cli/main.ts', import.meta.url));
let main;
if (fromSources) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
} else {
  ({ main } = await import('../dist/cli.mjs'));
}
await main(process.argv.slice(2));
