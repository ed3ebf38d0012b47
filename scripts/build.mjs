// Builds the publishable package: the TypeScript sources bundled into plain JavaScript under
// dist/, so an installed Tobira starts without compiling anything (`prepack` runs this). A clone
// keeps running the sources through tsx (bin/tobira.mjs picks whichever is there).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

await build({
  entryPoints: { cli: join(root, 'src/cli/main.ts'), index: join(root, 'src/index.ts') },
  outdir: dist,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Dependencies stay in node_modules (native modules among them); only our code is bundled.
  packages: 'external',
  sourcemap: 'linked',
  logLevel: 'warning',
});

// Files the functions runtime starts by path (src/functions/*-environment.ts: new URL(..., import.meta.url)).
for (const f of ['functions/node-worker.mjs', 'functions/python-runner.py']) copyFileSync(join(root, 'src', f), join(dist, f.split('/').pop()));
// Declarations: the public types are one self-contained file (src/public-types.ts).
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--ignoreConfig', '--declaration', '--emitDeclarationOnly', '--skipLibCheck', '--target', 'ES2022', '--outDir', dist, join(root, 'src/public-types.ts')], { stdio: 'inherit' });
writeFileSync(
  join(dist, 'index.d.ts'),
  `import type { Tobira, TobiraOptions } from './public-types.js';
export type { SentMessage, Tobira, TobiraOptions, TobiraSettings } from './public-types.js';
/** Starts an in-memory Tobira on a free loopback port in this process; \`await tobira.close()\` when done. */
export declare function startTobira(options?: TobiraOptions): Promise<Tobira>;
`,
);
console.log('built dist/');
