// Tessera as CI runs it: its own Postgres database, real Redis, the compiled server as a child
// process. Seeding goes through openCore (the CLI's code path) in this process, then closes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

import { startServer } from './lib.js';

const root = new URL('..', import.meta.url).pathname;
const dist = (file) => new URL(`../dist/src/${file}`, import.meta.url).href;

export const AUDIENCE = 'https://api.bench.example.com';
export const SCOPES = ['read:projects', 'write:projects'];

/**
 * The client_credentials request every scenario sends (Auth0 style: secret in the body, audience,
 * scope), as a form or a JSON body, for the credential `startTessera` seeded.
 */
export function clientCredentialsRequest(seed, type) {
  const params = { grant_type: 'client_credentials', client_id: seed.clientId, client_secret: seed.clientSecret, audience: AUDIENCE, scope: SCOPES.join(' ') };
  return type === 'form'
    ? { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(params).toString() }
    : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(params) };
}

/**
 * The Node flags `npm start` gives the server (read from package.json, so the bench runs what
 * users run); BENCH_NODE_FLAGS replaces them for experiments.
 */
export function serverNodeFlags() {
  if (process.env.BENCH_NODE_FLAGS !== undefined) return process.env.BENCH_NODE_FLAGS.split(' ').filter(Boolean);
  const start = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts.start;
  const command = /\bnode\s+(.*?)\s*dist\/src\/main\.js/.exec(start);
  if (!command) throw new Error(`package.json's start script does not run dist/src/main.js with node: ${start}`);
  return command[1].split(/\s+/).filter(Boolean);
}

/** Drops and recreates the bench database; returns its URL. */
async function freshDatabase(baseUrl, name) {
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Starts Tessera with one API, organization and machine credential seeded (`seed`), plus
 * `moreCredentials` others in the same organization (`seed.more`: a tenant with many in use).
 */
export async function startTessera({ port, profileDir, database = 'tessera_bench', wrap, readyMs, log, moreCredentials = 0 }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-bench-'));
  const databaseUrl = await freshDatabase(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', database);
  const env = {
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}`,
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    KEYS_DIR: path.join(dir, 'keys'),
    DATA_DIR: path.join(dir, 'data'),
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
    // Rate limiting stays on (every request is counted in Redis); the budget is only raised so
    // that one benchmark credential is never refused. The default is 1,200/min per credential.
    RATE_LIMIT_TOKEN_PER_MINUTE: '1000000000',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000000',
    RATE_LIMIT_MANAGEMENT_PER_MINUTE: '1000000000',
  };

  // Seed an API, an organization and a machine credential, as factories.ts does in the tests.
  const { openCore } = await import(dist('core.js'));
  const { loadConfig } = await import(dist('config/load.js'));
  const { createLogger } = await import(dist('observability/logger.js'));
  const config = loadConfig(env);
  const core = await openCore(config, { logger: createLogger('silent'), connectRedis: false });
  let seed;
  try {
    const api = await core.apis.create({ identifier: AUDIENCE, name: 'Bench API', scopes: SCOPES, actor: 'bench' });
    const org = await core.organizations.create({ name: 'Bench Org', actor: 'bench' });
    const { client, secret } = await core.clients.create({ orgId: org.id, name: 'Bench credential', type: 'm2m', role: 'editor', actor: 'bench' });
    seed = { apiId: api.id, orgId: org.id, clientId: client.id, clientSecret: secret, more: [] };
    for (let i = 0; i < moreCredentials; i += 1) {
      const created = await core.clients.create({ orgId: org.id, name: `Bench worker ${i}`, type: 'm2m', role: 'editor', actor: 'bench' });
      seed.more.push({ clientId: created.client.id, clientSecret: created.secret });
    }
  } finally {
    await core.close();
  }

  const args = [...serverNodeFlags(), ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), 'dist/src/main.js'];
  const server = await startServer('tessera', args, {
    cwd: root,
    env,
    wrap,
    readyMs,
    log,
    ready: async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
  });
  return {
    ...server,
    url: env.ISSUER,
    env,
    seed,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
