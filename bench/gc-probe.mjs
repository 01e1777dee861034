// Probe: scavenge stats for Tessera and the baseline under the same cc load, same node flags
// (promoted bytes per request, RSS, smaps); README "Where the survivors come from".
import { createWriteStream, readFileSync } from 'node:fs';
import { exportJWK, generateKeyPair } from 'jose';
import { memory, runLoad, startServer } from './lib.js';
import { AUDIENCE, SCOPES, clientCredentialsRequest, startTessera } from './tessera.js';

const flags = (process.env.PROBE_FLAGS ?? '--max-semi-space-size=8').split(' ').filter(Boolean);
const baselineFlags = (process.env.PROBE_BASELINE_FLAGS ?? flags.join(' ')).split(' ').filter(Boolean);
const out = process.env.PROBE_OUT ?? '/tmp/gcprobe';
const seconds = Number(process.env.PROBE_SECONDS ?? 10);
const type = process.env.PROBE_BODY ?? 'json';
const tlog = createWriteStream(`${out}.tessera.log`);
const blog = createWriteStream(`${out}.baseline.log`);
process.env.BENCH_NODE_FLAGS = [...flags, '--trace-gc-nvp'].join(' ');
const tessera = await startTessera({ port: 4100, log: (c) => tlog.write(c) });
const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
const env = { PORT: '4101', BENCH_JWK: JSON.stringify(jwk), BENCH_CLIENT_ID: tessera.seed.clientId, BENCH_CLIENT_SECRET: tessera.seed.clientSecret, BENCH_AUDIENCE: AUDIENCE, BENCH_SCOPES: SCOPES.join(' ') };
const baseline = await startServer('baseline', [...baselineFlags, '--trace-gc-nvp', new URL('./baseline-oidc-provider.js', import.meta.url).pathname], { env, log: (c) => blog.write(c), ready: async () => (await fetch('http://127.0.0.1:4101/.well-known/jwks.json')).ok });
const req = clientCredentialsRequest(tessera.seed, type);
try {
  for (const [name, url] of [['tessera', tessera.url], ['baseline', 'http://127.0.0.1:4101']]) {
    await runLoad({ url: `${url}/oauth/token`, ...req, connections: 16, seconds: 8 });
    (name === 'tessera' ? tlog : blog).write('\n### MEASURE START\n');
    const r = await runLoad({ url: `${url}/oauth/token`, ...req, connections: 16, seconds });
    (name === 'tessera' ? tlog : blog).write(`\n### MEASURE END ${r.total}\n`);
    console.log(name, JSON.stringify(r), JSON.stringify(memory(name === 'tessera' ? tessera.pid : baseline.pid)));
    const smaps = readFileSync(`/proc/${name === 'tessera' ? tessera.pid : baseline.pid}/smaps`, 'utf8');
    const byName = new Map();
    let current = '';
    let bigAnon = [];
    for (const line of smaps.split('\n')) {
      const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
      if (head) { current = head[1] || '[anon]'; continue; }
      const rss = /^Rss:\s+(\d+) kB/.exec(line);
      if (rss) { byName.set(current, (byName.get(current) ?? 0) + Number(rss[1])); if (current === '[anon]' && Number(rss[1]) > 4096) bigAnon.push(Number(rss[1])); }
    }
    console.log('  smaps MB:', [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([n, kb]) => `${n.replace(/^.*\//, '')}=${(kb / 1024).toFixed(1)}`).join(' '), 'big anon:', bigAnon.sort((a,b)=>b-a).slice(0,12).map((kb) => (kb / 1024).toFixed(0)).join(','));
    if (name === 'tessera') {
      const text = await (await fetch(`${tessera.url}/metrics`)).text();
      console.log(text.split('\n').filter((l) => /^(nodejs_heap_space_size_(total|used)_bytes|nodejs_external_memory_bytes|process_resident_memory_bytes|nodejs_heap_size_(total|used)_bytes)/.test(l)).join('\n'));
    }
  }
} finally {
  await baseline.stop(); await tessera.stop();
}
