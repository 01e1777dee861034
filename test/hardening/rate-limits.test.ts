import { givenMachineCredential } from '../support/factories.js';
import { givenOrganization, managementClient, managementToken } from '../support/management.js';
import { postJson } from '../support/oauth.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;
let server: RunningTessera;

beforeAll(async () => {
  environment = await createEnvironment();
  server = await startTessera(environment, { RATE_LIMIT_TOKEN_PER_MINUTE: '5', RATE_LIMIT_AUTH_FAILURES: '10' });
});

afterAll(async () => {
  await server.stop();
  await environment.cleanup();
});

const ask = (credential: { clientId: string; api: { identifier: string } }, secret: string) =>
  postJson(`${server.url}/oauth/token`, { client_id: credential.clientId, client_secret: secret, audience: credential.api.identifier, grant_type: 'client_credentials' });

test('a client over its per-minute budget gets 429 with Retry-After and X-RateLimit headers; others are unaffected', async () => {
  const busy = await givenMachineCredential(server.core);
  const quiet = await givenMachineCredential(server.core);
  const answers = [];
  for (let i = 0; i < 6; i++) answers.push(await ask(busy, busy.clientSecret));

  expect(answers.slice(0, 5).map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
  expect(answers[0]!.headers.get('x-ratelimit-limit')).toBe('5');
  expect(answers[0]!.headers.get('x-ratelimit-remaining')).toBe('4');
  expect(Number(answers[0]!.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  expect(answers[0]!.headers.get('x-ratelimit-window')).toBe('60');
  const limited = answers[5]!;
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(limited.body).toMatchObject({ error: 'rate_limit_exceeded', error_description: expect.any(String) });

  expect((await ask(quiet, quiet.clientSecret)).status).toBe(200);
});

test('1 000 wrong secrets against one client are cut off after the failure budget, and never slow another client', async () => {
  const victim = await givenMachineCredential(server.core);
  const bystander = await givenMachineCredential(server.core);
  const statuses: number[] = [];
  for (let batch = 0; batch < 20; batch++) {
    const answers = await Promise.all(Array.from({ length: 50 }, () => ask(victim, 'guess-' + Math.random())));
    statuses.push(...answers.map((answer) => answer.status));
  }
  expect(statuses).toHaveLength(1000);
  const unauthorized = statuses.filter((status) => status === 401).length;
  expect(unauthorized).toBeGreaterThan(0);
  // Concurrent guesses may slip a few past the counter; the run as a whole is cut off early.
  expect(unauthorized).toBeLessThanOrEqual(60);
  expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(940);
  expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);

  expect((await ask(bystander, bystander.clientSecret)).status).toBe(200);
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  expect(metrics).toMatch(/tessera_rate_limit_rejections_total\{limit="client-auth-failures"\} \d+/);
});

describe('the management API (seed 000 headers and body)', () => {
  test('every authenticated answer carries X-RateLimit-*; guessing tokens from one address is cut off with 429', async () => {
    const org = await givenOrganization(server.core);
    const { client, secret } = await server.core.clients.create({ orgId: org.id, name: 'Admin', type: 'm2m', role: 'admin', actor: 'test' });
    const admin = managementClient(server, await managementToken(server, client.id, secret!));
    const list = await admin.get(`/organizations/${org.id}/credentials`);
    expect(list.status).toBe(200);
    for (const header of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-window']) expect(list.headers.get(header)).toMatch(/^\d+$/);

    const statuses: number[] = [];
    for (let i = 0; i < 65; i++) statuses.push((await managementClient(server, `tsr_key_guess${i}.nope`).get('/users/me')).status);
    expect(statuses.slice(0, 60).every((status) => status === 401)).toBe(true);
    const limited = await managementClient(server, 'tsr_key_guess.nope').get('/users/me');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: 'rate_limit_exceeded', status: 429, retry_after: expect.any(Number) });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
