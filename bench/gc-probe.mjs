// Probe: garbage collection per request for Tessera and the baseline under the same cc load and
// the same Node flags (README, "Where the survivors come from"). Prints, per server, requests/s,
// scavenges, bytes promoted per request, scavenge and mark-compact pause per request, and RSS.
// Environment: PROBE_FLAGS (default: --max-semi-space-size=8), PROBE_BASELINE_FLAGS (default:
// PROBE_FLAGS), PROBE_SECONDS (10), PROBE_BODY (json or form), PROBE_FLOW (cc, or refresh:
// refresh-token rotations, Tessera only, driven by flow-worker.js as the bench drives them).
import { probeLogin } from './features.js';
import { memory, runLoad } from './lib.js';
import { peerSigningJwk, startPeerServer } from './peers.js';
import { clientCredentialsRequest, startTessera } from './tessera.js';

const words = (text) => text.split(' ').filter(Boolean);
const flags = words(process.env.PROBE_FLAGS ?? '--max-semi-space-size=8');
const baselineFlags = words(process.env.PROBE_BASELINE_FLAGS ?? flags.join(' '));
const seconds = Number(process.env.PROBE_SECONDS ?? 10);

// --trace-gc-nvp prints one line per collection; only those during the measured round count.
const gcLog = () => {
  const trace = { measuring: false, lines: '' };
  trace.write = (chunk) => { if (trace.measuring) trace.lines += chunk; };
  return trace;
};
function summarise(lines, requests) {
  const perRequest = (value) => Math.round(value / requests);
  let scavenges = 0, promoted = 0, scavengeMs = 0, markCompacts = 0, markCompactMs = 0;
  for (const line of lines.split('\n')) {
    const field = (key) => Number(new RegExp(`\\b${key}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    const kind = /\bgc=(\w+)/.exec(line)?.[1];
    if (kind === 's') { scavenges += 1; promoted += field('promoted'); scavengeMs += field('pause'); }
    if (kind === 'ms' || kind === 'mc') { markCompacts += 1; markCompactMs += field('pause'); }
  }
  return {
    scavenges, requestsPerScavenge: Math.round(requests / Math.max(scavenges, 1)),
    promotedBytesPerRequest: perRequest(promoted), scavengePauseUsPerRequest: perRequest(scavengeMs * 1000),
    markCompacts, markCompactPauseUsPerRequest: perRequest(markCompactMs * 1000),
  };
}

const traces = { tessera: gcLog(), baseline: gcLog() };
process.env.BENCH_NODE_FLAGS = [...flags, '--trace-gc-nvp'].join(' ');
const tessera = await startTessera({ port: 4100, log: traces.tessera.write });
const refreshes = process.env.PROBE_FLOW === 'refresh' ? { kind: 'refresh', login: (await probeLogin(tessera)).login, connections: 16 } : undefined;
const servers = [['tessera', tessera, tessera.url]];
if (!refreshes) {
  const baseline = await startPeerServer('baseline', { port: 4101, jwk: await peerSigningJwk(), seed: tessera.seed, flags: [...baselineFlags, '--trace-gc-nvp'], log: traces.baseline.write });
  servers.push(['baseline', baseline, baseline.url]);
}
const request = clientCredentialsRequest(tessera.seed, process.env.PROBE_BODY ?? 'json');
// Both workers print {"event":"started"} as their clock starts (flow-worker.js after its logins).
const measure = (url, duration, onStarted) =>
  refreshes
    ? runLoad({ ...refreshes, seconds: duration }, 'flow-worker.js', onStarted)
    : runLoad({ url: `${url}/oauth/token`, ...request, connections: 16, seconds: duration }, 'load-worker.js', onStarted);
try {
  for (const [name, server, url] of servers) {
    await measure(url, 8, () => {}); // warm-up
    const load = await measure(url, seconds, () => { traces[name].measuring = true; });
    traces[name].measuring = false;
    console.log(name, JSON.stringify({ rps: Math.round(load.rps), statusCodes: load.statusCodes, ...summarise(traces[name].lines, load.total), memory: memory(server.pid) }));
  }
} finally {
  for (const [, server] of servers.reverse()) await server.stop();
}
