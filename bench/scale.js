// `npm run bench:scale`: issue 6's scale target. Two Tessera servers run side by side on the
// same core: one on a small database, one on a database seeded in SQL (generated, never
// committed) with 100,000 organizations, 100,000 machine credentials and 1,000,000 users with
// memberships. client_credentials is measured on both in alternated rounds (order flipped each
// round, as in npm run bench), so the VM's drift cancels out of the ratio; then the p99 of the
// management API's list endpoints on the large one. Knobs: BENCH_DURATION (s per round, 5),
// BENCH_ROUNDS (6), BENCH_SCALE_USERS (1e6), BENCH_SCALE_ORGS (1e5).
import { mkdirSync, writeFileSync } from 'node:fs';

import pg from 'pg';

import { cpuSeconds, median, pairedRatio, runLoad } from './lib.js';
import { clientCredentialsRequest, startTessera } from './tessera.js';

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const DURATION = num('BENCH_DURATION', 5);
const ROUNDS = num('BENCH_ROUNDS', 6);
const ORGS = num('BENCH_SCALE_ORGS', 100_000);
const USERS = num('BENCH_SCALE_USERS', 1_000_000);
const log = (line) => process.stderr.write(`bench:scale: ${line}\n`);

const small = await startTessera({ port: 4110, database: 'tessera_scale_small' });
const large = await startTessera({ port: 4111, database: 'tessera_scale_large' });
const result = { date: new Date().toISOString(), orgs: ORGS, credentials: ORGS, users: USERS, rounds: ROUNDS, duration: DURATION };
try {
  log(`seeding the large database: ${ORGS} organizations and credentials, ${USERS} users with memberships (SQL)`);
  const started = Date.now();
  await seedLarge(large);
  result.seedSeconds = Math.round((Date.now() - started) / 1000);

  const tokenLoad = (server, seconds) => runLoad({ url: `${server.url}/oauth/token`, ...clientCredentialsRequest(server.seed, 'json'), seconds });
  const measured = { small: [], large: [] };
  for (const server of [small, large]) await tokenLoad(server, 3); // warm-up, excluded
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of round % 2 ? ['large', 'small'] : ['small', 'large']) {
      const server = name === 'small' ? small : large;
      log(`client_credentials round ${round + 1}/${ROUNDS}: ${name} database`);
      const before = cpuSeconds(server.pid);
      const run = await tokenLoad(server, DURATION);
      measured[name].push({ ...run, cpuMs: ((cpuSeconds(server.pid) - before) * 1000) / run.total });
    }
  }
  const summary = (list) => ({ rps: median(list.map((r) => r.rps)), p99: median(list.map((r) => r.p99)), cpuMs: median(list.map((r) => r.cpuMs)), non2xx: list.reduce((n, r) => n + r.non2xx + r.errors, 0), rounds: list });
  result.small = summary(measured.small);
  result.large = summary(measured.large);
  result.ratio = result.large.rps / result.small.rps;
  result.pairedRatio = pairedRatio(measured.small.map((r) => r.rps), measured.large.map((r) => r.rps));

  result.management = await measureManagementLists(large);
} finally {
  await Promise.all([small.stop(), large.stop()]);
}

const line = (r) => `${r.rps.toFixed(0)} rps (p99 ${r.p99} ms, ${r.cpuMs.toFixed(2)} ms CPU/req${r.non2xx ? `, ${r.non2xx} non-2xx` : ''})`;
console.log(`Scale (${result.date}): ${ORGS} orgs, ${ORGS} credentials, ${USERS} users; seeded in ${result.seedSeconds} s; ${ROUNDS} alternated rounds × ${DURATION} s`);
console.log(`client_credentials: small ${line(result.small)}, large ${line(result.large)}`);
console.log(`large ÷ small: ${result.ratio.toFixed(2)} (medians), ${result.pairedRatio.toFixed(2)} (median of per-round ratios) (goal ≥ 0.90)`);
for (const [path, stats] of Object.entries(result.management)) console.log(`GET ${path}: ${typeof stats === 'string' ? stats : `p99 ${stats.p99} ms, ${stats.rps.toFixed(0)} rps (goal p99 < 50 ms)`}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/scale.json', import.meta.url), `${JSON.stringify(result, null, 2)}\n`);

async function seedLarge(server) {
  const db = new pg.Client({ connectionString: server.env.DATABASE_URL });
  await db.connect();
  try {
    await db.query(`insert into organizations (id, name) select 'org_scale' || g, 'Org ' || g from generate_series(1, $1) g`, [ORGS]);
    await db.query(
      `insert into clients (id, org_id, name, type, role, secret_digest)
       select 'cred_scale' || g, 'org_scale' || g, 'Credential ' || g, 'm2m', 'editor', md5(g::text) || md5(g::text)
       from generate_series(1, $1) g`,
      [ORGS],
    );
    await db.query(
      `insert into users (id, email, name, password_hash)
       select 'usr_scale' || g, 'user' || g || '@scale.example.com', 'User ' || g, '$argon2id$v=19$m=9216,t=4,p=1$c2NhbGVzY2FsZQ$notarealhashnotarealhashnotarealhash00000'
       from generate_series(1, $1) g`,
      [USERS],
    );
    await db.query(
      `insert into memberships (org_id, user_id, role)
       select 'org_scale' || (1 + g % $2), 'usr_scale' || g, 'viewer' from generate_series(1, $1) g`,
      [USERS, ORGS],
    );
    // The bench organization gets members too, so its member list is a real page.
    await db.query(`insert into memberships (org_id, user_id, role) select $1, 'usr_scale' || g, 'viewer' from generate_series(1, 200) g on conflict do nothing`, [server.seed.orgId]);
    await db.query('analyze');
  } finally {
    await db.end();
  }
}

/** p99 of the list endpoints on `tessera`, called by an admin credential of the bench organization. */
async function measureManagementLists(tessera) {
  const lists = ['credentials', 'members', 'api-keys', 'audit-events'].map((name) => `/api/v1/organizations/${tessera.seed.orgId}/${name}?limit=50`);
  const token = await managementToken(tessera);
  if (!token) return Object.fromEntries(lists.map((path) => [path, 'n/a (feature missing: management API, issue 4)']));
  const out = {};
  for (const path of lists) {
    const probe = await fetch(`${tessera.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    if (!probe.ok) {
      out[path] = `n/a (answered ${probe.status})`;
      continue;
    }
    out[path] = await runLoad({ url: `${tessera.url}${path}`, headers: { authorization: `Bearer ${token}` }, connections: 4, seconds: Math.max(3, DURATION / 2) });
  }
  return out;
}

async function managementToken(tessera) {
  const { openCore } = await import(new URL('../dist/src/core.js', import.meta.url).href);
  const { loadConfig } = await import(new URL('../dist/src/config/load.js', import.meta.url).href);
  const { createLogger } = await import(new URL('../dist/src/observability/logger.js', import.meta.url).href);
  const core = await openCore(loadConfig(tessera.env), { logger: createLogger('silent'), connectRedis: false });
  let admin;
  try {
    admin = await core.clients.create({ orgId: tessera.seed.orgId, name: 'Bench admin', type: 'm2m', role: 'admin', actor: 'bench' });
  } finally {
    await core.close();
  }
  const response = await fetch(`${tessera.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'client_credentials', client_id: admin.client.id, client_secret: admin.secret, audience: `${tessera.url}/api/v1` }),
  });
  return response.ok ? (await response.json()).access_token : undefined;
}
