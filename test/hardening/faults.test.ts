import { createServer } from 'node:net';
import { PassThrough } from 'node:stream';

import { givenMachineCredential } from '../support/factories.js';
import { createFaultProxy, throughProxy } from '../support/fault-proxy.js';
import { introspect } from '../support/management.js';
import { postJson } from '../support/oauth.js';
import { CALLBACK, authorizationRequest, givenApplication, givenPerson, redeem, relyingParty } from '../support/people.js';
import { createEnvironment, startTessera, usingPostgres, usingRedis, type RunningTessera, type TestEnvironment } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

/** A port nothing listens on: what a Redis that is down looks like. */
const closedPort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const timed = async <T>(work: () => Promise<T>) => {
  const started = Date.now();
  const result = await work();
  return { result, ms: Date.now() - started };
};

describe('Redis unreachable from the start', () => {
  let environment: TestEnvironment;
  let server: RunningTessera;

  beforeAll(async () => {
    environment = await createEnvironment();
    server = await startTessera(environment, { REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
  });

  afterAll(async () => {
    await server.stop();
    await environment.cleanup();
  });

  test('machine clients keep getting tokens (limits count per instance); /readyz names redis; /healthz stays up', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const { result, ms } = await timed(() => postJson(`${server.url}/oauth/token`, { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' }));
    expect(result.status).toBe(200);
    expect(ms).toBeLessThan(5_000);

    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { redis: 'unavailable', postgres: 'ok' } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  test.each(['spa', 'web'] as const)('a %s login (a flow that needs a session) answers a fast 503 with a clear page, not a hang and not a 401', async (type) => {
    const app = await givenApplication(server.core, { type });
    const pending = await authorizationRequest(await relyingParty(server.url, app));
    const { result, ms } = await timed(() => fetch(pending.url, { redirect: 'manual' }));
    const text = await result.text();
    expect(ms).toBeLessThan(5_000);
    expect(result.status).toBe(503);
    expect(result.headers.get('retry-after')).toBeTruthy();
    expect(text).toContain('temporarily_unavailable');
    expect(text).not.toMatch(/ECONNREFUSED|at .*\.js:\d+/);
    // Never handed to the application as an error it would show as "signed out".
    expect(result.headers.get('location')).toBeNull();
  });
});

// These two cut a real service through a proxy, so they run where one is configured (CI sets both).
(usingPostgres ? describe : describe.skip)('Postgres goes away and comes back', () => {
  let environment: TestEnvironment;
  let server: RunningTessera;
  let proxy: Awaited<ReturnType<typeof createFaultProxy>>;
  const serverErrors: string[] = [];

  beforeAll(async () => {
    environment = await createEnvironment();
    const url = new URL(environment.env.DATABASE_URL!);
    proxy = await createFaultProxy({ host: url.hostname, port: Number(url.port || 5432) });
    // The server's error lines, shown if a request that should succeed does not.
    const log = new PassThrough();
    log.on('data', (line: Buffer) => {
      if (/"level":(50|60)/.test(line.toString())) serverErrors.push(line.toString().slice(0, 2000));
    });
    server = await startTessera(environment, { DATABASE_URL: throughProxy(environment.env.DATABASE_URL!, proxy.port) }, { logTo: log });
  });

  afterAll(async () => {
    await server.stop();
    await proxy.close();
    await environment.cleanup();
  });

  test('fast 503 with Retry-After while down, no crash, /readyz names postgres; service resumes by itself', async () => {
    const cached = await givenMachineCredential(server.core);
    const ask = (credential: typeof cached) =>
      postJson(`${server.url}/oauth/token`, { client_id: credential.clientId, client_secret: credential.clientSecret, audience: credential.api.identifier, grant_type: 'client_credentials' });
    expect((await ask(cached)).status).toBe(200);
    const uncached = await givenMachineCredential(server.core);
    // The notification of the cached credential's own API can arrive after its first token (it
    // is this instance's own change, echoed back by NOTIFY): it must not leave its API unservable.
    await server.core.changes.publish('api', cached.api.id);

    await proxy.cut();
    const { result, ms } = await timed(() => ask(uncached));
    expect(result.status).toBe(503);
    expect(result.body.error).toBe('temporarily_unavailable');
    expect(result.headers.get('retry-after')).toBeTruthy();
    expect(ms).toBeLessThan(5_000);
    // A credential already in the cache keeps working through the outage (the body says why not).
    const again = await ask(cached);
    expect({ status: again.status, body: again.status === 200 ? 'token' : { ...again.body, serverErrors } }).toEqual({ status: 200, body: 'token' });
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { postgres: 'unavailable' } });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/tessera_dependency_errors_total\{dependency="postgres"\} [1-9]/);

    await proxy.restore();
    const deadline = Date.now() + 15_000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await ask(uncached)).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(200);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });
  test('an API key and a credential already in use keep working through an outage longer than the cache refresh', async () => {
    const caller = await givenMachineCredential(server.core);
    const { key } = await server.core.apiKeys.create({ orgId: caller.org.id, owner: 'deploy-bot', name: 'CI', role: 'editor', expiresInDays: 30, actor: 'test' });
    expect((await introspect(server, caller, key)).body).toMatchObject({ active: true, org: caller.org.id });

    await proxy.cut();
    try {
      // Past the refresh interval: the entries are old, their re-read fails, and they keep answering.
      await new Promise((resolve) => setTimeout(resolve, server.config.KEY_REFRESH_INTERVAL * 1000 + 200));
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const answer = await introspect(server, caller, key);
        expect({ status: answer.status, body: answer.body, serverErrors }).toMatchObject({ status: 200, body: { active: true, org: caller.org.id } });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await proxy.restore();
    }
  });
});

(usingRedis ? describe : describe.skip)('Redis goes away and comes back', () => {
  let environment: TestEnvironment;
  let server: RunningTessera;
  let proxy: Awaited<ReturnType<typeof createFaultProxy>>;

  beforeAll(async () => {
    environment = await createEnvironment();
    const url = new URL(process.env.REDIS_URL!);
    proxy = await createFaultProxy({ host: url.hostname, port: Number(url.port || 6379) });
    server = await startTessera(environment, { REDIS_URL: throughProxy(process.env.REDIS_URL!, proxy.port) });
  });

  afterAll(async () => {
    await server.stop();
    await proxy.close();
    await environment.cleanup();
  });

  test('tokens keep flowing during the outage and readiness recovers on its own', async () => {
    const credential = await givenMachineCredential(server.core);
    const ask = () => postJson(`${server.url}/oauth/token`, { client_id: credential.clientId, client_secret: credential.clientSecret, audience: credential.api.identifier, grant_type: 'client_credentials' });
    expect((await ask()).status).toBe(200);
    await proxy.cut();
    const { result, ms } = await timed(ask);
    expect(result.status).toBe(200);
    expect(ms).toBeLessThan(5_000);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    await proxy.restore();
    const deadline = Date.now() + 15_000;
    let ready = 0;
    while (Date.now() < deadline && ready !== 200) {
      ready = (await fetch(`${server.url}/readyz`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(ready).toBe(200);
  });

  test('a login answers a fast 503 while Redis is down, and works again by itself once it is back', async () => {
    const ada = await givenPerson(server.core);
    const app = await givenApplication(server.core, { type: 'web' });
    const rp = await relyingParty(server.url, app);

    await proxy.cut();
    try {
      const { result, ms } = await timed(async () => fetch((await authorizationRequest(rp)).url, { redirect: 'manual' }));
      await result.arrayBuffer();
      expect(result.status).toBe(503);
      expect(ms).toBeLessThan(5_000);
    } finally {
      await proxy.restore();
    }

    const deadline = Date.now() + 15_000;
    let callback: Awaited<ReturnType<UserAgent['open']>> | undefined;
    let pending = await authorizationRequest(rp);
    while (Date.now() < deadline) {
      pending = await authorizationRequest(rp);
      const browser = new UserAgent(server.url);
      const login = await browser.open(pending.url);
      if (login.kind === 'page' && login.status === 200) {
        callback = await browser.signIn(login, ada.email, ada.password);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    if (callback?.kind !== 'left') throw new Error(`login did not complete after Redis returned: ${callback ? textOf(callback) : 'no login page'}`);
    expect(`${callback.location.origin}${callback.location.pathname}`).toBe(CALLBACK);
    const tokens = await redeem(rp, callback.location, pending);
    expect(tokens.id_token).toEqual(expect.any(String));
  });
});
