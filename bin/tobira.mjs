#!/usr/bin/env node
// Entry point of the `tobira` command. Runs the TypeScript sources through tsx, so a clone
// needs no build step: `npm install` then `npx tobira start`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv.slice(2));
