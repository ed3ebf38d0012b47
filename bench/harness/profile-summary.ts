// Where a V8 CPU profile's time went: `node --import tsx bench/harness/profile-summary.ts <file.cpuprofile> [N]`
// prints the N (30) functions with the most self time, then the N with the most inclusive time
// (self plus callees), as percentages of the profile's sampled time, idle excluded. Profiles come
// from `TOBIRA_BENCH_CPU_PROF=<dir> npm run bench -- paths --only <case>` (bench/harness/server.ts).
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, count = '30'] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-summary.ts <file.cpuprofile> [N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

const label = (n: ProfileNode) => {
  const url = n.callFrame.url.replace(/^file:\/\/.*?\/(node_modules|src|bench|test)\//, '$1/');
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const idle = new Set(['(idle)', '(program)', '(garbage collector)']);
let busy = 0;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const node = byId.get(id)!;
  if (node.callFrame.functionName === '(idle)') continue;
  busy += us;
  self.set(label(node), (self.get(label(node)) ?? 0) + us);
  // Each distinct function on the stack once (recursion counted once).
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur)!;
    if (idle.has(n.callFrame.functionName) || n.callFrame.functionName === '(root)') continue;
    const l = label(n);
    if (seen.has(l)) continue;
    seen.add(l);
    inclusive.set(l, (inclusive.get(l) ?? 0) + us);
  }
}

const top = (m: Map<string, number>) =>
  [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(count)).map(([l, us]) => `${((100 * us) / busy).toFixed(1).padStart(5)}%  ${l}`);
console.log(`busy (not idle) sampled time: ${(busy / 1e6).toFixed(2)} s`);
console.log('\n== self time ==');
console.log(top(self).join('\n'));
console.log('\n== inclusive time ==');
console.log(top(inclusive).join('\n'));
