// Builds the publishable package: the TypeScript sources bundled into plain JavaScript under
// dist/, so an installed Tobira starts without compiling anything (`prepack` runs this). A clone
// runs the same bundle of its sources, kept under node_modules/.cache/tobira/ (scripts/bundle.mjs).
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, root } from './bundle.mjs';

const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist);

await bundle({ entryPoints: { cli: 'cli/main.ts', index: 'index.ts' }, outdir: dist });

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
