// Small helpers shared by run.js: pinned child processes, RSS sampling, statistics.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

export const NODE = process.execPath; // run.js is started with the project's Node 22

// Server on CPU 0, load generator on CPU 1, when there are two cores and taskset exists;
// otherwise everything shares the machine (noted in the results).
const canPin = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0;
export const pinning = canPin ? 'server: CPU 0, load: CPU 1 (taskset)' : 'not pinned';
export const pinned = (cpu, command, args) => (canPin ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args]);

/**
 * Starts a server pinned to CPU 0 and resolves once `ready()` says it answers. `wrap` runs Node
 * under another program (valgrind for instructions.js), `readyMs` is how long it may take.
 */
export async function startServer(name, args, { env, cwd, ready, log, wrap = [], readyMs = 60_000 }) {
  const [command, argv] = wrap.length > 0 ? pinned(0, wrap[0], [...wrap.slice(1), NODE, ...args]) : pinned(0, NODE, args);
  const child = spawn(command, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-8000);
    log?.(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let stopping = false;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // A server dying mid-run would turn into a row of connection errors: say so loudly, with its output.
  void exited.then(({ code, signal }) => {
    if (!stopping) process.stderr.write(`bench: ${name} exited unexpectedly (code ${code}, signal ${signal}); last output:\n${output}\n`);
  });
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready:\n${output}`);
    if (await ready().catch(() => false)) break;
    if (Date.now() > deadline) throw new Error(`${name} not ready after ${readyMs / 1000} s:\n${output}`);
    await sleep(200);
  }
  return {
    name,
    child,
    pid: child.pid, // taskset (and valgrind) exec in place: this is the node process itself
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      stopping = true;
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Runs the load generator on CPU 1 for one bounded round; resolves with its last JSON line.
 * `onStarted` runs when the worker prints `{"event":"started"}`, as its clock starts: after
 * whatever it prepares first (flow-worker.js logs in to get its refresh tokens).
 */
export function runLoad(spec, worker = 'load-worker.js', onStarted = () => {}) {
  const [command, argv] = pinned(1, NODE, [new URL(`./${worker}`, import.meta.url).pathname, JSON.stringify(spec)]);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let announced = false;
    child.stdout.on('data', (chunk) => {
      out += chunk;
      if (!announced && out.includes('"event":"started"')) {
        announced = true;
        onStarted();
      }
    });
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`load worker exited ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

/** Runs a Node script pinned to `cpu` and parses the JSON line it prints. */
export function runJson(cpu, script, args) {
  const [command, argv] = pinned(cpu, NODE, [script, ...args]);
  const result = spawnSync(command, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').pop());
}

/** VmRSS / VmHWM (peak) of a process, in MB. */
export function memory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: NaN, peakMb: NaN };
  }
}

/**
 * CPU seconds (user + system, all threads — the signing pool included) a process has used.
 * Per request, this is steadier than requests/s on a shared VM: another tenant's burst slows
 * the clock, not the work each request needs.
 */
export function cpuSeconds(pid) {
  try {
    // Fields after the command name (which may contain spaces): utime is the 12th, stime the 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
/**
 * CPU seconds used so far by a local database server's processes (every backend, by the
 * owning user, postgres by default), keyed by pid: subtract two readings with databaseCpuSince.
 * Zero readings where the database is elsewhere, or its processes are not visible.
 */
export function databaseCpu(user = 'postgres') {
  const pids = spawnSync('pgrep', ['-u', user], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
}

/** CPU seconds the database's processes used since `before` (backends started since count in full). */
export function databaseCpuSince(before) {
  let seconds = 0;
  for (const [pid, now] of databaseCpu()) {
    const then = before.get(pid) ?? 0;
    if (Number.isFinite(now) && Number.isFinite(then)) seconds += now - then;
  }
  return seconds;
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** B ÷ A per round, then the median: rounds run back to back, so this is the least drift-prone ratio. */
export const pairedRatio = (a, b) => median(b.map((value, round) => value / a[round]));

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const median = (values) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const decodeJwt = (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
