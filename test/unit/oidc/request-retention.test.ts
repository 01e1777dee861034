/**
 * Two things on the token path used to keep every finished request reachable until the next
 * mark-compact, so each scavenge promoted whole requests (bench/gc-probe.mjs, README "Where the
 * survivors come from"). These cases fail if either comes back.
 */
import { AsyncLocalStorage, createHook } from 'node:async_hooks';
import { createPublicKey, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { exportJWK, generateKeyPair } from 'jose';
import Koa from 'koa';
import compose from 'koa-compose';
import Provider from 'oidc-provider';

import { providerSigningKeys } from '../../../src/oidc/signing-key.js';

async function privateJwk() {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  return { ...(await exportJWK(privateKey)), kid: 'test-1', alg: 'RS256', use: 'sig' };
}

describe('RS256 signing', () => {
  test('the signing job holds none of the request it signs for, and the request keeps its context', async () => {
    const jwk = await privateJwk();
    const [key] = providerSigningKeys([jwk]);
    const request = new AsyncLocalStorage<{ id: string }>();
    const storesSeenByJobs: Array<{ type: string; store: unknown }> = [];
    const hook = createHook({
      init(_id, type) {
        if (/SIGN/.test(type)) storesSeenByJobs.push({ type, store: request.getStore() });
      },
    }).enable();
    const data = Buffer.from('header.payload');
    let signature: Uint8Array;
    let storeAfterSigning: unknown;
    try {
      await request.run({ id: 'request-1' }, async () => {
        signature = await key!.sign(data);
        storeAfterSigning = request.getStore();
      });
    } finally {
      hook.disable();
    }
    expect(storesSeenByJobs.length).toBeGreaterThan(0);
    expect(storesSeenByJobs.every(({ store }) => store === undefined)).toBe(true);
    expect(storeAfterSigning).toEqual({ id: 'request-1' });
    expect(verify('sha256', data, createPublicKey({ key: jwk, format: 'jwk' }), signature!)).toBe(true);
  });
});

describe('oidc-provider as Tessera ships it (patches/oidc-provider+*.patch)', () => {
  let server: Server;
  let base: string;
  let provider: Provider;
  const seen: Array<{ path: string; ownOidc: boolean; oidc: { provider?: unknown } | undefined }> = [];

  beforeAll(async () => {
    provider = new Provider('http://127.0.0.1', { jwks: { keys: [await privateJwk()] }, features: { devInteractions: { enabled: false } } });
    const app = new Koa();
    app.use(async (ctx, next) => {
      await next();
      seen.push({ path: ctx.path, ownOidc: Object.hasOwn(ctx, 'oidc'), oidc: (ctx as unknown as { oidc?: { provider?: unknown } }).oidc });
    });
    app.use(compose(provider.middleware as Koa.Middleware[]));
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('ctx.oidc comes from one getter on the context prototype, not one defined per request', async () => {
    const discovery = await Promise.all([1, 2].map(() => fetch(`${base}/.well-known/openid-configuration`)));
    for (const response of discovery) {
      expect(response.status).toBe(200);
      expect(((await response.json()) as { issuer: string }).issuer).toBe('http://127.0.0.1');
    }
    const served = seen.filter(({ path }) => path === '/.well-known/openid-configuration');
    expect(served).toHaveLength(2);
    for (const request of served) {
      expect(request.ownOidc).toBe(false);
      expect(request.oidc?.provider).toBe(provider);
    }
    expect(served[0]!.oidc).not.toBe(served[1]!.oidc);
  });

  test('a request oidc-provider has no route for has no ctx.oidc', async () => {
    expect((await fetch(`${base}/not-a-route`)).status).toBe(404);
    const request = seen.find(({ path }) => path === '/not-a-route');
    expect(request).toMatchObject({ ownOidc: false, oidc: undefined });
  });
});
