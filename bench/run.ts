// `npm run bench`: runs every bench/*.bench.ts in turn and prints its figures. Benchmarks report
// numbers; they never fail on one. `npm run bench -- users` runs only files whose name has "users".
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => !only || f.includes(only))
  .sort();

for (const f of files) {
  const mod = await import(join(here, f));
  console.log(`\n== ${f.replace('.bench.ts', '')} ==`);
  await mod.run();
}
