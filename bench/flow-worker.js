// Load generator for multi-request flows autocannon cannot express (each iteration depends on
// the previous answer). Same output shape as load-worker.js. Argument: JSON
//   { kind: 'login' | 'refresh', login, connections, seconds }
// 'login' counts complete authorization-code + PKCE flows; 'refresh' counts rotations, each
// loop holding its own refresh-token chain (obtained before the clock starts).
import { loginFlow, refresh } from './flows.js';

const spec = JSON.parse(process.argv[2]);
const latencies = [];
let errors = 0;

const chains = spec.kind === 'refresh' ? await Promise.all(Array.from({ length: spec.connections }, () => loginFlow(spec.login).then((t) => t.refresh_token))) : [];
const started = performance.now();
const cpuAtStart = process.cpuUsage();
// The runner measures the server's CPU from here: the chains' logins above are not refreshes.
process.stdout.write(`${JSON.stringify({ event: 'started' })}\n`);
const end = started + spec.seconds * 1000;
await Promise.all(
  Array.from({ length: spec.connections }, async (_, i) => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        if (spec.kind === 'login') await loginFlow(spec.login);
        else chains[i] = (await refresh(spec.login, chains[i])).refresh_token;
        latencies.push(performance.now() - t0);
      } catch {
        errors += 1;
        if (spec.kind === 'refresh') chains[i] = await loginFlow(spec.login).then((t) => t.refresh_token).catch(() => chains[i]);
      }
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuAtStart);
latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const loadCpuMsPerRequest = (cpu.user + cpu.system) / 1000 / latencies.length;
process.stdout.write(`${JSON.stringify({ rps: latencies.length / seconds, total: latencies.length, p50: pct(50), p99: pct(99), non2xx: errors, errors, loadCpuMsPerRequest })}\n`);
