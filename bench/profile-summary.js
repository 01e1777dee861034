// Top self-time functions of a V8 .cpuprofile (from BENCH_CPU_PROF=dir), to say where the token
// path's time goes. Usage: node bench/profile-summary.js <file.cpuprofile> [top=25]
import { readCpuProfile } from './cpu-profile.js';

const { profile, byId, self } = readCpuProfile(process.argv[2]);
const top = Number(process.argv[3] ?? 25);
const total = [...self.values()].reduce((a, b) => a + b, 0);
const idle = self.get('(idle)') ?? 0;
console.log(`total ${(total / 1e6).toFixed(1)} s, busy ${(((total - idle) / total) * 100).toFixed(1)} %`);
for (const [name, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
}

// Self time grouped by package (or dist/ for Tessera's own code).
const groups = new Map();
for (const [name, us] of self) {
  const m = /(?:^|\s)(@[^/]+\/[^/]+|[^/\s]+)\/|(dist)\/|node:([a-z_]+)/.exec(name.split(' ').slice(1).join(' '));
  const group = m ? m[1] ?? m[2] ?? `node:${m[3]}` : name.split(' ')[0];
  groups.set(group, (groups.get(group) ?? 0) + us);
}
console.log('\nby package:');
for (const [name, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`);

// Inclusive time: share of busy samples with at least one frame of the package (or Tessera file) on the stack.
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const inclusive = new Map();
let busy = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i + 1] ?? 0;
  if (byId.get(id).callFrame.functionName === '(idle)') return;
  busy += dt;
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const url = byId.get(at).callFrame.url;
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url) ?? /dist\/src\/(.+\.js)/.exec(url);
    if (m) seen.add(m[1]);
  }
  for (const name of seen) inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
});
console.log('\ninclusive share of busy main-thread time:');
for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${((us / busy) * 100).toFixed(1).padStart(5)} %  ${name}`);
