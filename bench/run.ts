// `npm run bench`: the hot paths against their ceilings (paths.bench.ts). `npm run bench -- <name>`
// runs the bench/*.bench.ts files whose name has <name> (`users`, `sign-in` ...), in turn; flags
// after the name go to the bench (`npm run bench -- paths --seconds 5 --write-table`).
// Benchmarks report numbers; they never fail on one.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [first, ...rest] = process.argv.slice(2);
const named = first !== undefined && !first.startsWith('-');
const only = named ? first : 'paths';
const args = named ? rest : process.argv.slice(2);
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
const files = all.filter((f) => f.includes(only));
if (!named) {
  const others = all.map((f) => f.replace('.bench.ts', '')).filter((n) => n !== 'paths');
  console.log(`(the other benches: npm run bench -- <name>, one of ${others.join(', ')})`);
}
if (!files.length) throw new Error(`no bench/*.bench.ts has "${only}" in its name`);

for (const f of files) {
  const mod = await import(join(here, f));
  console.log(`\n== ${f.replace('.bench.ts', '')} ==`);
  await mod.run(args);
}
