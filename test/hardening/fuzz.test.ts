import fc from 'fast-check';

import { givenMachineCredential } from '../support/factories.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;
let server: RunningTessera;
let credential: Awaited<ReturnType<typeof givenMachineCredential>>;

beforeAll(async () => {
  environment = await createEnvironment();
  // Limits high enough that the fuzzer exercises the endpoints, not the limiter.
  server = await startTessera(environment, { RATE_LIMIT_ANONYMOUS_PER_MINUTE: '100000', RATE_LIMIT_AUTH_FAILURES: '100000', RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
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
