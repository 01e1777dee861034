// Scenarios that depend on features still being built (API keys: issue 4; people signing in and
// refresh rotation: issue 3). Each probe asks the running system whether the feature exists and
// answers either a ready-to-run load spec or the reason it is missing; nothing is simulated.
import { spawnSync } from 'node:child_process';

import { NODE } from './lib.js';
import { loginFlow } from './flows.js';

const root = new URL('..', import.meta.url).pathname;

/** The operator CLI on Tessera's storage; a missing command is "feature missing". */
export function cli(env, args) {
  const result = spawnSync(NODE, ['bin/tessera.js', ...args, '--json'], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' });
  let json;
  try {
    json = JSON.parse(result.stdout);
  } catch {
    json = undefined;
  }
  const missing = result.status !== 0 && /unknown command|unknown option/i.test(result.stderr);
  return { ok: result.status === 0 && json !== undefined, missing, json, stderr: result.stderr.trim().split('\n')[0] };
}

const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const findString = (value, pattern) => {
  if (typeof value === 'string') return pattern.test(value) ? value : undefined;
  if (value && typeof value === 'object') for (const item of Object.values(value)) { const hit = findString(item, pattern); if (hit) return hit; }
  return undefined;
};

/** API-key introspection by a resource server authenticating as the machine credential. */
export async function probeApiKeyIntrospection(tessera) {
  const { seed, env, url } = tessera;
  const created = cli(env, ['apikey', 'create', '--org', seed.orgId, '--name', 'bench key', '--role', 'editor']);
  if (created.missing) return { missing: 'tessera apikey create (issue 4)' };
  if (!created.ok) return { missing: `tessera apikey create failed: ${created.stderr}` };
  const key = findString(created.json, /^[a-z][a-z0-9]{1,15}_[^.]+\..+/);
  if (!key) return { missing: 'apikey create printed no key' };
  const headers = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(seed.clientId, seed.clientSecret) };
  const body = new URLSearchParams({ token: key }).toString();
  const answer = await fetch(`${url}/oauth/introspect`, { method: 'POST', headers, body }).then((r) => r.json()).catch(() => ({}));
  if (answer.active !== true) return { missing: `introspection of an API key answered ${JSON.stringify(answer).slice(0, 120)}` };
  return { spec: { url: `${url}/oauth/introspect`, method: 'POST', headers, body } };
}

/** A person, a membership and a web client: what issue 3's login and refresh flows need. */
export async function probeLogin(tessera) {
  const { seed, env, url } = tessera;
  const email = `bench-${Date.now()}@example.com`;
  const password = 'correct horse battery staple 42';
  const user = cli(env, ['user', 'create', '--email', email, '--password', password, '--name', 'Bench User']);
  if (user.missing) return { missing: 'tessera user create (issue 3)' };
  if (!user.ok) return { missing: `tessera user create failed: ${user.stderr}` };
  const userId = user.json.id ?? user.json.user_id;
  const member = cli(env, ['member', 'add', '--org', seed.orgId, '--user', userId, '--role', 'editor']);
  if (!member.ok) return { missing: member.missing ? 'tessera member add (issue 3)' : `tessera member add failed: ${member.stderr}` };
  const redirectUri = 'https://bench.example.com/callback';
  const app = cli(env, ['client', 'create', '--type', 'web', '--org', seed.orgId, '--name', 'Bench web app', '--redirect-uri', redirectUri]);
  if (!app.ok) return { missing: `tessera client create --type web failed: ${app.stderr}` };
  const login = { base: url, clientId: app.json.client_id, clientSecret: app.json.client_secret, redirectUri, email, password, orgId: seed.orgId };
  try {
    const tokens = await loginFlow(login);
    if (!tokens.access_token) return { missing: `the code exchange answered ${JSON.stringify(tokens).slice(0, 120)}` };
    return { login, refreshable: typeof tokens.refresh_token === 'string' };
  } catch (error) {
    return { missing: `login flow did not complete: ${error.message}` };
  }
}
