// Same-machine A/B of two builds on one flow: `node bench/ab.js <dir A> <dir B>`, each dir a
// built checkout (npm run build) with its own bench/. Starts both on Postgres + Redis, alternates
// rounds (order flipped each round, so drift cancels out) and prints requests/s and server CPU
// per request (all threads) and peak RSS for each. Knobs: AB_KIND (refresh | login | cc, the JSON-body
// client_credentials request of the main bench), AB_ROUNDS (6),
// AB_SECONDS (5), AB_CONNECTIONS (16). Never part of npm test.
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { cpuSeconds, databaseCpu, databaseCpuSince, median, memory, pairedRatio, runLoad } from './lib.js';
import { clientCredentialsRequest } from './tessera.js';

const dirs = process.argv.slice(2).map((dir) => path.resolve(dir));
if (dirs.length !== 2) throw new Error('usage: node bench/ab.js <built checkout A> <built checkout B>');
const kind = process.env.AB_KIND ?? 'refresh';
const rounds = Number(process.env.AB_ROUNDS ?? 6);
const seconds = Number(process.env.AB_SECONDS ?? 5);
const connections = Number(process.env.AB_CONNECTIONS ?? 16);
const from = (dir, file) => import(pathToFileURL(path.join(dir, 'bench', file)).href);

const servers = [];
try {
  for (const [i, dir] of dirs.entries()) {
    const { startTessera } = await from(dir, 'tessera.js');
    const { probeLogin } = await from(dir, 'features.js');
    const tessera = await startTessera({ port: 4200 + i, database: `tessera_ab_${i}` });
    servers.push({ dir, tessera, cpu: [], dbCpu: [], rps: [] });
    const probe = await probeLogin(tessera);
    if (probe.missing) throw new Error(`${dir}: ${probe.missing}`);
    servers.at(-1).login = probe.login;
  }
  const load = (server, time, onStarted) =>
    kind === 'cc'
      ? runLoad({ url: `${server.tessera.url}/oauth/token`, ...clientCredentialsRequest(server.tessera.seed, 'json'), connections, seconds: time }, undefined, onStarted)
      : runLoad({ kind, login: server.login, connections, seconds: time }, 'flow-worker.js', onStarted);
  for (const server of servers) await load(server, 3);
  for (let round = 0; round < rounds; round += 1) {
    for (const server of round % 2 ? [...servers].reverse() : servers) {
      let before;
      let databaseBefore;
      const result = await load(server, seconds, () => {
        before = cpuSeconds(server.tessera.pid);
        databaseBefore = databaseCpu();
      });
      const cpuMs = ((cpuSeconds(server.tessera.pid) - before) * 1000) / result.total;
      const dbCpuMs = (databaseCpuSince(databaseBefore) * 1000) / result.total;
      server.cpu.push(cpuMs);
      server.dbCpu.push(dbCpuMs);
      server.rps.push(result.rps);
      process.stderr.write(`ab: round ${round + 1}/${rounds} ${server.dir}: ${result.rps.toFixed(0)} rps, ${cpuMs.toFixed(3)} ms CPU (Postgres ${dbCpuMs.toFixed(3)}), ${result.errors} errors\n`);
    }
  }
  for (const server of servers) server.peakRssMb = Math.round(memory(server.tessera.pid).peakMb);
} finally {
  await Promise.all(servers.map((server) => server.tessera.stop().catch(() => {})));
}
for (const server of servers) console.log(`${server.dir}: ${kind} median ${median(server.rps).toFixed(0)} rps, ${median(server.cpu).toFixed(3)} ms CPU per request (Postgres: ${median(server.dbCpu).toFixed(3)} ms), peak RSS ${server.peakRssMb} MB`);
const [a, b] = servers;
const paired = (of) => pairedRatio(a[of], b[of]).toFixed(3);
console.log(`B ÷ A, median of per-round ratios: CPU per request ${paired('cpu')}, requests/s ${paired('rps')}`);
