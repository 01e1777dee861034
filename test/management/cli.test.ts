import { execFile } from 'node:child_process';

import { givenCaller, introspect, managementClient, type Caller } from '../support/management.js';
import { postJson } from '../support/oauth.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';

/**
 * `tessera apikey …` and `tessera credential …` (issue 4), run as the built CLI in another
 * process against a running server's storage, and checked through the server's HTTP APIs.
 */
let environment: TestEnvironment;
let server: RunningTessera;
let orgId: string;
let admin: Caller;

beforeAll(async () => {
  environment = await createEnvironment();
  server = await startTessera(environment);
  orgId = (await server.core.organizations.create({ name: 'Acme', actor: 'test' })).id;
  admin = await givenCaller(server, orgId, 'admin');
});

afterAll(async () => {
  await server.stop();
  await environment.cleanup();
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  body: Record<string, unknown> & Array<Record<string, unknown>>;
}

/** Runs the CLI without blocking this process: the server the CLI talks to lives here. */
function cli(args: string[], options: { json?: boolean } = {}): Promise<Run> {
  const argv = ['bin/tessera.js', ...args, ...(options.json === false ? [] : ['--json'])];
  return new Promise((resolve) => {
    execFile(process.execPath, argv, { env: { ...process.env, ...environment.env }, encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      let body = {} as Run['body'];
      try {
        body = JSON.parse(stdout || '{}') as Run['body'];
      } catch {
        // not JSON (the human-readable output)
      }
      resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, body });
    });
  });
}

/** The other process's change reaches this one within seconds: poll until it shows. */
async function eventually<T>(check: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (accept(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

const tokenFor = (clientId: string, clientSecret: string) =>
  postJson(`${server.url}/oauth/token`, { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience: `${server.url}/api/v1` });

describe('tessera apikey', () => {
  test('create prints the key once in the documented format; list never shows it; revoke stops it everywhere', async () => {
    const created = await cli(['apikey', 'create', '--org', orgId, '--name', 'ci deploys', '--role', 'editor', '--expires-in-days', '30', '--allowed-ip', '127.0.0.1/32']);
    expect(created).toMatchObject({ status: 0, body: { id: expect.stringMatching(/^key_/), org_id: orgId, name: 'ci deploys', role: 'editor', status: 'active', allowed_ips: ['127.0.0.1/32'] } });
    const key = created.body.key as string;
    // <prefix>_<keyId>.<secret + checksum>: 43 base62 characters of secret, 6 of checksum.
    expect(key).toMatch(/^tsr_key_[0-9A-Za-z]{22}\.[0-9A-Za-z]{49}$/);
    expect(key.slice(4, key.indexOf('.'))).toBe(created.body.id);
    const secret = key.split('.')[1]!;
    expect(occurrences(created.stdout, secret)).toBe(1);
    expect(Date.parse(created.body.expires_at as string) - Date.parse(created.body.created_at as string)).toBe(30 * 86_400_000);

    // It works at the management API and at introspection, as the server sees it.
    expect(await managementClient(server, key).get('/users/me')).toMatchObject({ status: 200, body: { organization_id: orgId, role: 'editor' } });
    expect((await introspect(server, admin, key)).body).toMatchObject({ active: true, org: orgId, role: 'editor', key_id: created.body.id });

    const list = await cli(['apikey', 'list', '--org', orgId]);
    expect(list.status).toBe(0);
    expect(list.body.map((row) => row.id)).toContain(created.body.id);
    const human = await cli(['apikey', 'list', '--org', orgId], { json: false });
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(created.body.id as string);
    for (const output of [list.stdout, human.stdout]) {
      expect(output).not.toContain(secret);
      expect(output).not.toContain(key);
      expect(output).not.toMatch(/digest|hash|secret/i);
    }
    const stored = await server.core.storage.db.selectFrom('api_keys').select('secret_digest').where('id', '=', created.body.id as string).executeTakeFirstOrThrow();
    expect(list.stdout + human.stdout + created.stdout).not.toContain(stored.secret_digest);

    const revoked = await cli(['apikey', 'revoke', created.body.id as string]);
    expect(revoked).toMatchObject({ status: 0, body: { id: created.body.id, status: 'revoked', revoked_at: expect.any(String) } });
    expect(revoked.stdout).not.toContain(secret);
    const after = await eventually(() => introspect(server, admin, key), (answer) => answer.body.active === false);
    expect(after.body).toEqual({ active: false });
    expect((await managementClient(server, key).get('/users/me')).status).toBe(401);
    // Revoking again is not an error; the key stays revoked.
    expect(await cli(['apikey', 'revoke', created.body.id as string])).toMatchObject({ status: 0, body: { status: 'revoked' } });
  });

  test('the default role is the least privileged one', async () => {
    const created = await cli(['apikey', 'create', '--org', orgId, '--name', 'read only']);
    expect(created).toMatchObject({ status: 0, body: { role: 'viewer', status: 'active' } });
  });

  test.each([
    ['a lifetime that is not offered', ['apikey', 'create', '--org', 'ORG', '--name', 'x', '--expires-in-days', '45'], /--expires-in-days: must be one of 30, 60, 90, 365/],
    ['an unknown role', ['apikey', 'create', '--org', 'ORG', '--name', 'x', '--role', 'emperor'], /role/],
    ['an address that is not an IP or CIDR', ['apikey', 'create', '--org', 'ORG', '--name', 'x', '--allowed-ip', '10.0.0.0/99'], /--allowed-ip: must be an IP address or CIDR range/],
    ['an unknown organization', ['apikey', 'create', '--org', 'org_doesnotexist0000000', '--name', 'x'], /organization/],
    ['a malformed key id', ['apikey', 'revoke', 'tsr_key_abc.secret'], /^(tessera: )?argument 1: is not an API key id/],
    ['an unknown key id', ['apikey', 'revoke', 'key_0000000000000000000000'], /not found/i],
    ['a malformed client id', ['credential', 'rotate', 'x y', '--grace-period-seconds', '10'], /argument 1: is not a Tessera id/],
    ['a negative grace period', ['credential', 'rotate', 'cred_0000000000000000000000', '--grace-period-seconds', '-5'], /--grace-period-seconds: /],
  ])('%s exits 1 with one line', async (_name, template, message) => {
    const args = template.map((arg) => (arg === 'ORG' ? orgId : arg));
    const human = await cli(args, { json: false });
    expect(human.status).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toMatch(/^tessera: [^\n]+\n$/);
    expect(human.stderr).toMatch(message);
    const json = await cli(args);
    expect(json.status).toBe(1);
    expect(json.stdout.trim().split('\n')).toHaveLength(1);
    expect(json.body).toMatchObject({ error: expect.any(String), message: expect.stringMatching(message) });
  });
});

describe('tessera credential', () => {
  test('rotate prints the new secret once and honours --grace-period-seconds; revoke stops the credential and its tokens', async () => {
    const created = await cli(['client', 'create', '--type', 'm2m', '--org', orgId, '--name', 'nightly sync', '--role', 'viewer']);
    expect(created).toMatchObject({ status: 0, body: { client_id: expect.any(String), client_secret: expect.any(String) } });
    const clientId = created.body.client_id as string;
    const original = created.body.client_secret as string;
    expect((await tokenFor(clientId, original)).status).toBe(200);

    // With a grace period, both the old and the new secret work.
    const graceful = await cli(['credential', 'rotate', clientId, '--grace-period-seconds', '300']);
    expect(graceful).toMatchObject({ status: 0, body: { client_id: clientId, client_secret: expect.any(String) } });
    const second = graceful.body.client_secret as string;
    expect(second).not.toBe(original);
    expect(occurrences(graceful.stdout, second)).toBe(1);
    expect(graceful.stdout).not.toContain(original);
    expect((await eventually(() => tokenFor(clientId, second), (answer) => answer.status === 200)).status).toBe(200);
    expect((await tokenFor(clientId, original)).status).toBe(200);

    // Without one (the default), the old secret stops at once.
    const abrupt = await cli(['credential', 'rotate', clientId]);
    expect(abrupt).toMatchObject({ status: 0, body: { client_id: clientId, client_secret: expect.any(String) } });
    const third = abrupt.body.client_secret as string;
    expect((await eventually(() => tokenFor(clientId, third), (answer) => answer.status === 200)).status).toBe(200);
    expect(await eventually(() => tokenFor(clientId, second), (answer) => answer.status === 401)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });

    // The list never shows a secret or its digest.
    const list = await cli(['client', 'list', '--org', orgId]);
    expect(list.status).toBe(0);
    const digests = await server.core.storage.db.selectFrom('clients').select(['secret_digest', 'previous_secret_digest']).where('id', '=', clientId).executeTakeFirstOrThrow();
    for (const digest of Object.values(digests)) if (digest) expect(list.stdout).not.toContain(digest);
    for (const secret of [original, second, third]) expect(list.stdout).not.toContain(secret);
    expect(list.stdout).not.toMatch(/digest|hash|"client_secret"/i);

    const token = (await tokenFor(clientId, third)).body.access_token as string;
    expect((await introspect(server, admin, token)).body).toMatchObject({ active: true, client_id: clientId });
    const revoked = await cli(['credential', 'revoke', clientId]);
    expect(revoked).toMatchObject({ status: 0, body: { id: clientId, revoked_at: expect.any(String) } });
    expect(revoked.stdout).not.toContain(third);
    expect(await eventually(() => tokenFor(clientId, third), (answer) => answer.status === 401)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await eventually(() => introspect(server, admin, token), (answer) => answer.body.active === false)).body).toEqual({ active: false });
    expect((await managementClient(server, token).get('/users/me')).status).toBe(401);
  });
});

describe('tessera member set-role', () => {
  test('refuses to demote or remove the organization\'s last admin, and allows it once another admin exists', async () => {
    const org = await server.core.organizations.create({ name: 'Initech', actor: 'test' });
    const users = await Promise.all(
      ['ada', 'grace'].map((name) =>
        server.core.users.create({ email: `${name}-${org.id}@example.com`, name, password: 'correct horse battery staple', actor: 'test' }),
      ),
    );
    const [ada, grace] = users as [(typeof users)[0], (typeof users)[0]];
    await server.core.memberships.add({ orgId: org.id, userId: ada.id, role: 'admin', actor: 'test' });

    const demote = await cli(['member', 'set-role', '--org', org.id, '--user', ada.id, '--role', 'viewer']);
    expect(demote).toMatchObject({ status: 1, body: { error: 'conflict', message: 'An organization must keep at least one admin' } });
    expect(await cli(['member', 'remove', '--org', org.id, '--user', ada.id])).toMatchObject({ status: 1, body: { error: 'conflict' } });
    expect((await server.core.memberships.get(org.id, ada.id)).role).toBe('admin');

    await server.core.memberships.add({ orgId: org.id, userId: grace.id, role: 'admin', actor: 'test' });
    expect(await cli(['member', 'set-role', '--org', org.id, '--user', ada.id, '--role', 'viewer'])).toMatchObject({ status: 0, body: { role: 'viewer' } });
    expect(await cli(['member', 'set-role', '--org', org.id, '--user', grace.id, '--role', 'editor'])).toMatchObject({ status: 1, body: { error: 'conflict' } });
  });
});
