// `npm run bench:scale`: issue 6's scale target. Measures client_credentials on a small
// database, then seeds 100,000 organizations, 100,000 machine credentials and 1,000,000 users
// (with memberships) in SQL — generated, never committed — and measures again, plus the p99 of
// the management API's list endpoints. Knobs: BENCH_DURATION (s, 8), BENCH_SCALE_USERS (1e6),
// BENCH_SCALE_ORGS (1e5).
import pg from 'pg';

import { runLoad } from './lib.js';
import { AUDIENCE, SCOPES, startTessera } from './tessera.js';

const num = (name, fallback) => Number(process.env[name] ?? fallback);
const DURATION = num('BENCH_DURATION', 8);
const ORGS = num('BENCH_SCALE_ORGS', 100_000);
const USERS = num('BENCH_SCALE_USERS', 1_000_000);
const log = (line) => process.stderr.write(`bench:scale: ${line}\n`);

const tessera = await startTessera({ port: 4110 });
const result = { date: new Date().toISOString(), orgs: ORGS, credentials: ORGS, users: USERS };
try {
  const body = JSON.stringify({ grant_type: 'client_credentials', client_id: tessera.seed.clientId, client_secret: tessera.seed.clientSecret, audience: AUDIENCE, scope: SCOPES.join(' ') });
  const tokenLoad = () => runLoad({ url: `${tessera.url}/oauth/token`, method: 'POST', headers: { 'content-type': 'application/json' }, body, seconds: DURATION });

  log('client_credentials on the small database');
  await runLoad({ url: `${tessera.url}/oauth/token`, method: 'POST', headers: { 'content-type': 'application/json' }, body, seconds: 3 });
  result.small = await tokenLoad();

  log(`seeding ${ORGS} organizations and credentials, ${USERS} users with memberships (SQL)`);
  const db = new pg.Client({ connectionString: tessera.env.DATABASE_URL });
  await db.connect();
  const started = Date.now();
  try {
    await db.query(`insert into organizations (id, name) select 'org_scale' || g, 'Org ' || g from generate_series(1, $1) g`, [ORGS]);
    await db.query(
      `insert into clients (id, org_id, name, type, role, secret_digest)
       select 'cred_scale' || g, 'org_scale' || g, 'Credential ' || g, 'm2m', 'editor', md5(g::text) || md5(g::text)
       from generate_series(1, $1) g`,
      [ORGS],
    );
    const hasUsers = (await db.query(`select to_regclass('users') as t`)).rows[0].t !== null;
    if (hasUsers) {
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
      await db.query(`insert into memberships (org_id, user_id, role) select $1, 'usr_scale' || g, 'viewer' from generate_series(1, 200) g on conflict do nothing`, [tessera.seed.orgId]);
    } else {
      result.usersNote = 'n/a (feature missing: users table, issue 3)';
    }
    await db.query('analyze');
  } finally {
    await db.end();
  }
  result.seedSeconds = Math.round((Date.now() - started) / 1000);

  log('client_credentials on the large database');
  result.large = await tokenLoad();
  result.ratio = result.large.rps / result.small.rps;

  result.management = await measureManagementLists();
} finally {
  await tessera.stop();
}

console.log(`Scale (${result.date}): ${ORGS} orgs, ${ORGS} credentials, ${USERS} users; seeded in ${result.seedSeconds} s`);
console.log(`client_credentials: small ${result.small.rps.toFixed(0)} rps (p99 ${result.small.p99} ms), large ${result.large.rps.toFixed(0)} rps (p99 ${result.large.p99} ms), ratio ${result.ratio.toFixed(2)} (goal ≥ 0.90)`);
for (const [path, stats] of Object.entries(result.management)) console.log(`GET ${path}: ${typeof stats === 'string' ? stats : `p99 ${stats.p99} ms, ${stats.rps.toFixed(0)} rps (goal p99 < 50 ms)`}`);

/** p99 of the list endpoints, called by an admin credential of the bench organization. */
async function measureManagementLists() {
  const lists = ['credentials', 'members', 'api-keys', 'audit-events'].map((name) => `/api/v1/organizations/${tessera.seed.orgId}/${name}?limit=50`);
  const token = await managementToken();
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

async function managementToken() {
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
