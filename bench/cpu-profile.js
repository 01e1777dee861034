// Reading V8 .cpuprofile files (BENCH_CPU_PROF=dir), shared by profile-summary.js and profile-diff.js.
import { readFileSync } from 'node:fs';

/**
 * The profile, its nodes by id, and self time (µs) per function, keyed "name package/file:line"
 * (Tessera's own code as dist/...). Sample i lasted timeDeltas[i + 1]; self time goes to the
 * leaf frame sampled.
 */
export function readCpuProfile(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, 'dist/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  return { profile, byId, self };
}
