// `npm run bench:instructions`: instructions per client_credentials request, Tessera against the
// bare oidc-provider baseline, counted by valgrind's callgrind. Instruction counts do not move
// with this VM's speed (requests/s here drift by ±15 % within minutes), so this is the figure
// to compare two builds by, and the share of the baseline's work Tessera adds on top.
// User-space instructions only: the kernel's socket work and cache misses are not in it.
// Knobs: BENCH_IR_REQUESTS (400), BENCH_IR_WARMUP (300), BENCH_IR_ONLY=tessera|baseline.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';

import { startServer } from './lib.js';
import { AUDIENCE, SCOPES, serverNodeFlags, startTessera } from './tessera.js';

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const REQUESTS = num('BENCH_IR_REQUESTS', 400);
const WARMUP = num('BENCH_IR_WARMUP', 300);
const CONCURRENCY = 4;
const ONLY = process.env.BENCH_IR_ONLY;
const here = (file) => new URL(file, import.meta.url).pathname;
const log = (line) => process.stderr.write(`bench:instructions: ${line}\n`);

const out = mkdtempSync(path.join(tmpdir(), 'tessera-callgrind-'));
// JIT-compiled code rewrites itself: valgrind must re-check every page it translated.
const valgrind = ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}/callgrind.out.%p`, '--dump-instr=no'];
const underValgrind = { wrap: valgrind, readyMs: 15 * 60_000 };

/** Instructions since the last zeroing, from a fresh dump of the running process. */
function dumpTotal(pid) {
  const before = new Set(readdirSync(out));
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore' });
  const file = readdirSync(out).find((name) => !before.has(name) && name.startsWith(`callgrind.out.${pid}`));
  if (!file) throw new Error('callgrind wrote no dump');
  const totals = /^(?:summary|totals):\s+(\d+)/m.exec(readFileSync(path.join(out, file), 'utf8'));
  if (!totals) throw new Error(`no totals in ${file}`);
  return Number(totals[1]);
}

async function drive(url, init, count) {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        next += 1;
        const response = await fetch(url, init);
        await response.arrayBuffer();
        if (!response.ok) failed += 1;
      }
    }),
  );
  if (failed > 0) throw new Error(`${failed} of ${count} requests failed`);
}

async function measure(name, server, url, init) {
  log(`${name}: warm-up, ${WARMUP} requests`);
  await drive(url, init, WARMUP);
  execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore' });
  log(`${name}: ${REQUESTS} counted requests`);
  await drive(url, init, REQUESTS);
  return dumpTotal(server.pid) / REQUESTS;
}

const results = {};
const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'bench-1', alg: 'RS256', use: 'sig' };
log('starting Tessera under callgrind (a few minutes: everything runs ~50× slower)');
const tessera = await startTessera({ port: 4120, database: 'tessera_instructions', ...underValgrind });
const params = { grant_type: 'client_credentials', client_id: tessera.seed.clientId, client_secret: tessera.seed.clientSecret, audience: AUDIENCE, scope: SCOPES.join(' ') };
const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() };
try {
  if (ONLY !== 'baseline') results.tessera = await measure('tessera', tessera, `${tessera.url}/oauth/token`, form);
  if (ONLY !== 'tessera') {
    log('starting the baseline under callgrind');
    const env = { PORT: '4121', BENCH_JWK: JSON.stringify(jwk), BENCH_CLIENT_ID: params.client_id, BENCH_CLIENT_SECRET: params.client_secret, BENCH_AUDIENCE: AUDIENCE, BENCH_SCOPES: SCOPES.join(' ') };
    // The same Node flags as Tessera's, so the comparison is of the code, not the heap settings.
    const baseline = await startServer('baseline', [...serverNodeFlags(), here('baseline-oidc-provider.js')], {
      env,
      ready: async () => (await fetch('http://127.0.0.1:4121/.well-known/jwks.json')).ok,
      ...underValgrind,
    });
    try {
      results.baseline = await measure('baseline', baseline, 'http://127.0.0.1:4121/oauth/token', form);
    } finally {
      await baseline.stop();
    }
  }
} finally {
  await tessera.stop();
  rmSync(out, { recursive: true, force: true });
}

const millions = (ir) => `${(ir / 1e6).toFixed(2)} M`;
for (const [name, ir] of Object.entries(results)) console.log(`${name}: ${millions(ir)} instructions per client_credentials request (form)`);
if (results.tessera && results.baseline) console.log(`Tessera ÷ baseline: ${(results.tessera / results.baseline).toFixed(3)}`);
