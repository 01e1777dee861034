import { postJson } from '../support/oauth.js';
import { createEnvironment, startTessera, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createEnvironment({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: '3' });
});

afterAll(async () => {
  await environment.cleanup();
});

/** Calls that name no client are limited per address; which address depends on who forwarded them. */
async function statusesWithSpoofedAddresses(overrides: Record<string, string>) {
  const server = await startTessera(environment, overrides);
  try {
    const statuses: number[] = [];
    for (let i = 1; i <= 5; i++) {
      statuses.push((await postJson(`${server.url}/oauth/introspect`, { token: 'x' }, { 'x-forwarded-for': `203.0.113.${i}` })).status);
    }
    return statuses;
  } finally {
    await server.stop();
  }
}

test('with no trusted proxy, a client cannot escape its limit by sending X-Forwarded-For', async () => {
  const statuses = await statusesWithSpoofedAddresses({});
  expect(statuses.slice(3)).toEqual([429, 429]);
});

test('behind a trusted proxy, each forwarded address has its own limit', async () => {
  const statuses = await statusesWithSpoofedAddresses({ TRUSTED_PROXIES: '127.0.0.1/8,::1' });
  expect(statuses).not.toContain(429);
});
