import fc from 'fast-check';

import { givenMachineCredential } from '../support/factories.js';
import { givenCaller, givenOrganization } from '../support/management.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;
let server: RunningTessera;
let credential: Awaited<ReturnType<typeof givenMachineCredential>>;

beforeAll(async () => {
  environment = await createEnvironment();
  // Limits high enough that the fuzzer exercises the endpoints, not the limiter.
  server = await startTessera(environment, {
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000',
    RATE_LIMIT_AUTH_FAILURES: '100000',
    RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    RATE_LIMIT_MANAGEMENT_PER_MINUTE: '100000',
  });
  credential = await givenMachineCredential(server.core);
});

afterAll(async () => {
  await server.stop();
  await environment.cleanup();
});

async function snapshot() {
  const db = server.core.storage.db;
  const count = async (table: 'clients' | 'organizations' | 'apis' | 'signing_keys' | 'oidc_payloads') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  const clients = await db.selectFrom('clients').select(['id', 'secret_digest', 'revoked_at', 'updated_at']).orderBy('id').execute();
  return { clients: JSON.stringify(clients), orgs: await count('organizations'), apis: await count('apis'), keys: await count('signing_keys'), payloads: await count('oidc_payloads') };
}

const value = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom('client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'),
  fc.integer().map(String),
  fc.string({ unit: 'binary', maxLength: 40 }),
);
const params = fc.dictionary(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'audience', 'resource', 'scope', 'token', 'token_type_hint', 'code', 'refresh_token', 'subject_token', 'x'), value, { maxKeys: 6 });

const body = fc.oneof(
  params.map((p) => ({ type: 'application/json', text: JSON.stringify(p) })),
  params.map((p) => ({ type: 'application/x-www-form-urlencoded', text: new URLSearchParams(p).toString() })),
  fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/json', text })),
  fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ type: 'application/x-www-form-urlencoded', text })),
  fc.json().map((text) => ({ type: 'application/json', text })),
  fc.string({ maxLength: 50 }).map((text) => ({ type: 'text/plain', text })),
);

const authorization = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 60 }).map((text) => `Basic ${Buffer.from(text).toString('base64')}`),
  fc.string({ maxLength: 60 }).map((text) => `Bearer ${text}`),
  fc.constant(undefined).map(() => `Basic ${Buffer.from(`${credential.clientId}:wrong`).toString('base64')}`),
);

test('malformed input at the token, introspection and revocation endpoints never gets a 5xx or changes state', async () => {
  const before = await snapshot();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('/oauth/token', '/oauth/introspect', '/oauth/revoke'), body, authorization, async (path, payload, auth) => {
      const headers: Record<string, string> = { 'content-type': payload.type };
      if (auth && /^[\x20-\x7e]*$/.test(auth)) headers.authorization = auth;
      const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: payload.text });
      await response.arrayBuffer();
      expect(response.status).toBeGreaterThanOrEqual(200);
      expect(response.status).toBeLessThan(500);
    }),
    { numRuns: 300, seed: 20261123 },
  );
  expect(await snapshot()).toEqual(before);
});

describe('the management API', () => {
  let org: Awaited<ReturnType<typeof givenOrganization>>;
  let admin: Awaited<ReturnType<typeof givenCaller>>;
  let otherOrg: Awaited<ReturnType<typeof givenOrganization>>;

  beforeAll(async () => {
    org = await givenOrganization(server.core);
    otherOrg = await givenOrganization(server.core);
    admin = await givenCaller(server, org.id, 'admin');
    // Something to find, so the fuzzer runs into real rows.
    expect((await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'fuzz target', role: 'viewer', expires_in_days: 30 })).status).toBe(201);
  });

  async function managementSnapshot() {
    const db = server.core.storage.db;
    const count = async (table: 'clients' | 'api_keys' | 'memberships' | 'users' | 'organizations') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    return {
      clients: await count('clients'),
      apiKeys: await count('api_keys'),
      memberships: await count('memberships'),
      users: await count('users'),
      organizations: await count('organizations'),
      clientRows: JSON.stringify(await db.selectFrom('clients').select(['id', 'secret_digest', 'revoked_at', 'updated_at']).orderBy('id').execute()),
      keyRows: JSON.stringify(await db.selectFrom('api_keys').selectAll().orderBy('id').execute()),
      memberRows: JSON.stringify(await db.selectFrom('memberships').selectAll().orderBy('org_id').orderBy('user_id').execute()),
    };
  }

  const auditIds = async () => new Set((await server.core.storage.db.selectFrom('audit_events').select('id').execute()).map((row) => String(row.id)));

  const segment = fc.oneof(
    fc.constantFrom('credentials', 'api-keys', 'members', 'audit-events', 'rotate', '..', '%2e%2e', '%00', 'me', 'permissions'),
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
    fc.uuid(),
  );
  const orgSegment = () => fc.oneof(fc.constant(org.id), fc.constant(otherOrg.id), fc.string({ maxLength: 30 }).map(encodeURIComponent));
  const path = () =>
    fc.oneof(
      fc.tuple(orgSegment(), fc.array(segment, { maxLength: 3 })).map(([id, rest]) => ['/organizations', id, ...rest].join('/')),
      fc.tuple(orgSegment(), fc.constantFrom('credentials', 'api-keys', 'members', 'audit-events'), fc.option(segment), fc.option(fc.constantFrom('rotate', ''))).map(
        ([id, collection, item, tail]) => ['/organizations', id, collection, ...(item === null ? [] : [item]), ...(tail === null ? [] : [tail])].join('/'),
      ),
      fc.constantFrom('/users/me', '/users/me/permissions', '/organizations', '/'),
      fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
    ).chain((base) =>
      fc.option(fc.dictionary(fc.constantFrom('limit', 'cursor', 'action', 'actor', 'since', 'x'), fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String))), { nil: undefined }).map(
        (query) => (query ? `${base}?${new URLSearchParams(query).toString()}` : base),
      ),
    );

  // Garbage only: never a body a route would accept (no name, email, role or user fields).
  const meaningful = /"(name|email|role|user_id|expires_in_days|allowed_ips|description|type|redirect_uris)"/;
  const garbage = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/json', text })),
    fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ type: 'application/json', text })),
    fc.json({ maxDepth: 3 }).filter((text) => !meaningful.test(text)).map((text) => ({ type: 'application/json', text })),
    fc.constantFrom('{"a":', '[]', 'null', '1e999999', '"x"', '{"__proto__":{"admin":true}}', '{"constructor":{"prototype":{"x":1}}}').map((text) => ({ type: 'application/json', text })),
    fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16'), fc.string({ maxLength: 60 })).map(([type, text]) => ({ type, text })),
  );

  const bearer = () =>
    fc.oneof(
      fc.constant(undefined),
      fc.constant(admin.token),
      fc.constant(admin.token),
      fc.constant(`${admin.token}x`),
      fc.constant(admin.token.split('.').slice(0, 2).join('.') + '.'),
      fc.string({ maxLength: 80 }).map((text) => `tsk_${text}`),
      fc.string({ maxLength: 80 }),
      fc.string({ maxLength: 60 }).map((text) => `${Buffer.from(text).toString('base64url')}.${Buffer.from(text).toString('base64url')}.x`),
    );

  test('malformed methods, paths, bodies and bearers (a valid admin token included) never get a 5xx or change state', async () => {
    const before = await managementSnapshot();
    const auditBefore = await auditIds();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'), path(), garbage, bearer(), async (method, target, payload, token) => {
        const headers: Record<string, string> = {};
        if (token !== undefined && /^[\x21-\x7e]*$/.test(token)) headers.authorization = `Bearer ${token}`;
        if (payload) headers['content-type'] = payload.type;
        const withBody = payload !== undefined && method !== 'GET' && method !== 'HEAD';
        const response = await fetch(`${server.url}/api/v1${target}`, { method, headers, body: withBody ? payload.text : undefined });
        await response.arrayBuffer();
        if (response.status >= 500) throw new Error(`${method} ${target} answered ${response.status}`);
        expect(response.status).toBeGreaterThanOrEqual(200);
      }),
      { numRuns: 400, seed: 20261123 },
    );
    expect(await managementSnapshot()).toEqual(before);
    // The audit trail may only have grown by failed authentications.
    const added = (await server.core.storage.db.selectFrom('audit_events').select(['id', 'action']).execute()).filter((row) => !auditBefore.has(String(row.id)));
    for (const event of added) expect(event.action).toMatch(/\.auth_failed$/);
  });
});
