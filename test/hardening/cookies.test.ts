import { request } from 'node:http';

import { CALLBACK, givenApplication, givenPerson, oidc } from '../support/people.js';
import { startServerProcess } from '../support/server-process.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

/** Signs a person in through `browser` and returns every Set-Cookie header of the login. */
async function cookiesOfALogin(server: RunningTessera, browser: UserAgent) {
  const ada = await givenPerson(server.core);
  const app = await givenApplication(server.core, { type: 'web' });
  // Built by hand: behind the proxy the discovery document names the public https issuer.
  const url = new URL('/authorize', server.url);
  const verifier = oidc.randomPKCECodeVerifier();
  url.search = new URLSearchParams({
    client_id: app.clientId,
    response_type: 'code',
    redirect_uri: CALLBACK,
    scope: 'openid',
    state: oidc.randomState(),
    nonce: oidc.randomNonce(),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  let callback = await browser.signIn(await browser.open(url), ada.email, ada.password);
  // Behind the proxy oidc-provider redirects to https://<same host>: the proxy's side of this server.
  const local = new URL(server.url);
  while (callback.kind === 'left' && callback.location.host === local.host) {
    callback = await browser.open(new URL(callback.location.pathname + callback.location.search, local));
  }
  if (callback.kind !== 'left') throw new Error(`login did not complete: ${textOf(callback)}`);
  expect({ callback: callback.location.href, code: callback.location.searchParams.get('code') }).toEqual({ callback: callback.location.href, code: expect.any(String) });
  const set = browser.setCookies.filter((header) => !/=;|expires=Thu, 01 Jan 1970/i.test(header));
  const names = set.map((header) => header.slice(0, header.indexOf('=')));
  // The interaction and the session cookies (and their signatures) are among them.
  expect(names).toEqual(expect.arrayContaining(['_interaction', '_interaction_resume', '_session']));
  return set;
}

const attributes = (header: string) => header.split(';').slice(1).map((part) => part.trim().toLowerCase());

describe('cookies of a login', () => {
  let environment: TestEnvironment;

  beforeAll(async () => {
    environment = await createEnvironment();
  });

  afterAll(async () => {
    await environment.cleanup();
  });

  test('behind a trusted TLS-terminating proxy with an https issuer: HttpOnly, SameSite and Secure', async () => {
    const server = await startTessera(environment, { ISSUER: 'https://login.example.com', TRUSTED_PROXIES: '127.0.0.1/8,::1' });
    try {
      // The proxy terminates TLS and says so; discovery and redirects are read from the local port.
      const browser = new UserAgent(server.url, undefined, { 'x-forwarded-proto': 'https' });
      const set = await cookiesOfALogin(server, browser);
      for (const header of set) {
        const attrs = attributes(header);
        expect({ header, httpOnly: attrs.includes('httponly') }).toEqual({ header, httpOnly: true });
        expect({ header, secure: attrs.includes('secure') }).toEqual({ header, secure: true });
        expect({ header, sameSite: attrs.some((attr) => /^samesite=(lax|strict|none)$/.test(attr)) }).toEqual({ header, sameSite: true });
      }
    } finally {
      await server.stop();
    }
  });

  test('over plain http (development): HttpOnly and SameSite', async () => {
    const server = await startTessera(environment);
    try {
      const set = await cookiesOfALogin(server, new UserAgent(server.url));
      for (const header of set) {
        const attrs = attributes(header);
        expect({ header, httpOnly: attrs.includes('httponly') }).toEqual({ header, httpOnly: true });
        expect({ header, sameSite: attrs.some((attr) => /^samesite=(lax|strict)$/.test(attr)) }).toEqual({ header, sameSite: true });
      }
    } finally {
      await server.stop();
    }
  });
});

const getWithHeader = (port: number, size: number) =>
  new Promise<number>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/healthz', headers: { 'x-padding': 'a'.repeat(size) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });

test('the real server refuses headers over 16 KiB with 431 (never a 500) and accepts ones just under', async () => {
  const environment = await createEnvironment();
  const { port, child } = await startServerProcess(environment);
  try {
    expect(await getWithHeader(port, 15 * 1024)).toBe(200);
    expect(await getWithHeader(port, 17 * 1024)).toBe(431);
    expect(await getWithHeader(port, 64 * 1024)).toBe(431);
    // Still serving afterwards.
    expect(await getWithHeader(port, 10)).toBe(200);
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await environment.cleanup();
  }
});
