// `npm run bench:instructions`: instructions per client_credentials request, Tessera against the
// bare oidc-provider baseline, counted by valgrind's callgrind. Instruction counts do not move
// with this VM's speed (requests/s here drift by ±15 % within minutes), so this is the figure
// to compare two builds by, and the share of the baseline's work Tessera adds on top.
// User-space instructions only: the kernel's socket work and cache misses are not in it. Work
// on timers (the rate limiter's 100 ms sync with Redis, key refreshes) is counted per request
// about fifty times too heavily, since requests run ~50× slower under valgrind while timers
// keep wall-clock time: it weighs on Tessera, which has such timers, and not on the baseline.
// Knobs: BENCH_IR_REQUESTS (400), BENCH_IR_WARMUP (300), BENCH_IR_ONLY=tessera|baseline,
// BENCH_IR_KEEP=dir (keeps each server's dump there, for callgrind_annotate),
// BENCH_IR_BODY=json (the client_credentials request's body, form by default),
// BENCH_IR_FLOW=refresh (counts refresh-token rotations instead, Tessera only: the baseline
// has no people to log in).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { probeLogin } from './features.js';
import { loginFlow, refresh } from './flows.js';
import { peerSigningJwk, startPeerServer } from './peers.js';
import { clientCredentialsRequest, serverNodeFlags, startTessera } from './tessera.js';

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const REQUESTS = num('BENCH_IR_REQUESTS', 400);
const WARMUP = num('BENCH_IR_WARMUP', 300);
const CONCURRENCY = 4;
const ONLY = process.env.BENCH_IR_FLOW === 'refresh' ? 'tessera' : process.env.BENCH_IR_ONLY;
const FLOW = process.env.BENCH_IR_FLOW ?? 'client_credentials';
const log = (line) => process.stderr.write(`bench:instructions: ${line}\n`);

if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed (Debian: apt-get install valgrind)');
const out = mkdtempSync(path.join(tmpdir(), 'tessera-callgrind-'));
// JIT-compiled code rewrites itself: valgrind must re-check every page it translated.
const valgrind = ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}/callgrind.out.%p`, '--dump-instr=no'];
const underValgrind = { wrap: valgrind, readyMs: 15 * 60_000 };
// With MALLOC_ARENA_MAX unset, Tessera replaces its process once to set it (src/runtime/malloc-arenas.ts);
// valgrind does not follow that execve, so the counted server would run outside callgrind.
process.env.MALLOC_ARENA_MAX = '2';
// vgdb names its pipes after $HOST, which Tessera's environment sets to the address it binds;
// both servers here get the same one, so callgrind_control finds them.
const vgdbEnv = { ...process.env, HOST: '127.0.0.1' };

/** Instructions since the last zeroing, from a fresh dump of the running process. */
function dumpTotal(name, pid) {
  const dumps = () => readdirSync(out).filter((file) => file.startsWith(`callgrind.out.${pid}`)).map((file) => ({ name: file, at: statSync(path.join(out, file)).mtimeMs }));
  const before = Math.max(0, ...dumps().map((dump) => dump.at));
  execFileSync('callgrind_control', ['-d', String(pid)], { stdio: 'ignore', env: vgdbEnv });
  const dump = dumps().find((candidate) => candidate.at > before);
  if (!dump) throw new Error('callgrind wrote no dump');
  const text = readFileSync(path.join(out, dump.name), 'utf8');
  const totals = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  if (!totals) throw new Error(`no totals in ${dump.name}: ${text.slice(0, 300)}`);
  if (process.env.BENCH_IR_KEEP) copyFileSync(path.join(out, dump.name), path.join(process.env.BENCH_IR_KEEP, `${name}.callgrind`));
  return Number(totals[1]);
}

/** `count` requests, CONCURRENCY at a time; `send(lane)` makes one and says whether it succeeded. */
async function drive(send, count) {
  let next = 0;
  let failed = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, lane) => {
      while (next < count) {
        next += 1;
        if (!(await send(lane))) failed += 1;
      }
    }),
  );
  if (failed > 0) throw new Error(`${failed} of ${count} requests failed`);
}

const fetchOnce = (url, init) => async () => {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  return response.ok;
};

/** Each lane rotates its own refresh-token chain, as bench/flow-worker.js does. */
async function refreshLanes(login) {
  const chains = [];
  for (let lane = 0; lane < CONCURRENCY; lane += 1) chains.push((await loginFlow(login)).refresh_token);
  return async (lane) => {
    chains[lane] = (await refresh(login, chains[lane])).refresh_token;
    return typeof chains[lane] === 'string';
  };
}

async function measure(name, server, send) {
  log(`${name}: warm-up, ${WARMUP} requests`);
  await drive(send, WARMUP);
  execFileSync('callgrind_control', ['-z', String(server.pid)], { stdio: 'ignore', env: vgdbEnv });
  log(`${name}: ${REQUESTS} counted requests`);
  await drive(send, REQUESTS);
  return dumpTotal(name, server.pid) / REQUESTS;
}

const results = {};
log('starting Tessera under callgrind (a few minutes: everything runs ~50× slower)');
const tessera = await startTessera({ port: 4120, database: 'tessera_instructions', ...underValgrind });
const BODY = process.env.BENCH_IR_BODY ?? 'form';
const ccRequest = clientCredentialsRequest(tessera.seed, BODY);
try {
  if (FLOW === 'refresh') {
    const probe = await probeLogin(tessera);
    if (probe.missing) throw new Error(`no refresh flow to count: ${probe.missing}`);
    results.tessera = await measure('tessera', tessera, await refreshLanes(probe.login));
  } else if (ONLY !== 'baseline') results.tessera = await measure('tessera', tessera, fetchOnce(`${tessera.url}/oauth/token`, ccRequest));
  if (ONLY !== 'tessera') {
    log('starting the baseline under callgrind');
    // The same Node flags as Tessera's, so the comparison is of the code, not the heap settings.
    const baseline = await startPeerServer('baseline', { port: 4121, jwk: await peerSigningJwk(), seed: tessera.seed, flags: serverNodeFlags(), env: { HOST: '127.0.0.1' }, ...underValgrind });
    try {
      results.baseline = await measure('baseline', baseline, fetchOnce(`${baseline.url}/oauth/token`, ccRequest));
    } finally {
      await baseline.stop();
    }
  }
} finally {
  await tessera.stop();
  rmSync(out, { recursive: true, force: true });
}

const millions = (ir) => `${(ir / 1e6).toFixed(2)} M`;
for (const [name, ir] of Object.entries(results)) console.log(`${name}: ${millions(ir)} instructions per ${FLOW === 'refresh' ? 'refresh-token rotation' : `client_credentials request (${BODY})`}`);
if (results.tessera && results.baseline) console.log(`Tessera ÷ baseline: ${(results.tessera / results.baseline).toFixed(3)}`);
