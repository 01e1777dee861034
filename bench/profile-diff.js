// Where one server spends more main-thread time per request than another, from two V8
// .cpuprofile files (BENCH_CPU_PROF=dir writes Tessera's and baseline.cpuprofile there; Tessera's
// is the larger CPU.*.cpuprofile, the small one is its process before it re-executes itself).
// Usage: node bench/profile-diff.js <A.cpuprofile> <A rps> <B.cpuprofile> <B rps> [top=40]
// Both servers ran the same rounds for the same time, so requests/s stands in for the request
// count; self time ÷ rps is then comparable per request. Lines: A − B as a share of B's busy
// time per request, A's and B's self time per request (µs·s, relative units), the function.
import { readCpuProfile } from './cpu-profile.js';

const [fileA, rpsA, fileB, rpsB, topArg] = process.argv.slice(2);
if (!fileB || !Number(rpsA) || !Number(rpsB)) throw new Error('usage: node bench/profile-diff.js <A.cpuprofile> <A rps> <B.cpuprofile> <B rps> [top]');
const top = Number(topArg ?? 40);

// Idle time is not work: it is left out of both sides.
function selfTimes(file) {
  const { self } = readCpuProfile(file);
  self.delete('(idle)');
  return self;
}

const a = selfTimes(fileA);
const b = selfTimes(fileB);
const rows = [...new Set([...a.keys(), ...b.keys()])].map((key) => ({
  key,
  a: (a.get(key) ?? 0) / Number(rpsA),
  b: (b.get(key) ?? 0) / Number(rpsB),
}));
const busyA = rows.reduce((sum, row) => sum + row.a, 0);
const busyB = rows.reduce((sum, row) => sum + row.b, 0);
const share = (value) => `${((value / busyB) * 100).toFixed(2).padStart(6)} %`;
console.log(`busy main-thread time per request: A ${busyA.toFixed(0)}, B ${busyB.toFixed(0)} (A ÷ B ${(busyA / busyB).toFixed(3)})`);
rows.sort((x, y) => y.a - y.b - (x.a - x.b));
console.log('\nA spends more:');
for (const row of rows.slice(0, top)) console.log(`${share(row.a - row.b)} ${row.a.toFixed(0).padStart(7)} ${row.b.toFixed(0).padStart(7)}  ${row.key}`);
console.log('\nB spends more:');
for (const row of rows.slice(-Math.ceil(top / 2)).reverse()) console.log(`${share(row.a - row.b)} ${row.a.toFixed(0).padStart(7)} ${row.b.toFixed(0).padStart(7)}  ${row.key}`);
