import type { Browser } from 'playwright-core';

import { launchChromium, startCallbackServer } from '../support/browser.js';
import { authorizationRequest, givenApplication, givenPerson, redeem, relyingParty } from '../support/people.js';
import { useTessera } from '../support/tessera.js';

const tessera = useTessera();
let browser: Browser;
let app: Awaited<ReturnType<typeof startCallbackServer>>;

beforeAll(async () => {
  browser = await launchChromium();
  app = await startCallbackServer();
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

test('a person signs in through the login page in chromium and lands on the callback with a code', async () => {
  const ada = await givenPerson(tessera.core, { roles: ['editor', 'viewer'], orgNames: ['Acme', 'Globex'] });
  const client = await givenApplication(tessera.core, { type: 'spa', redirectUris: [app.url] });
  const rp = await relyingParty(tessera.url, client);
  const pending = await authorizationRequest(rp, { redirect_uri: app.url });

  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(pending.url.href);
  await page.getByLabel('Email').fill(ada.email);
  await page.getByLabel('Password').fill(ada.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel(/Globex/).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL((url) => url.href.startsWith(app.url));
  await expect(page.getByRole('heading', { name: 'Back in the app' }).isVisible()).resolves.toBe(true);
  await context.close();

  const callback = app.calls.find((call) => call.pathname === '/auth/callback')!;
  expect(callback.searchParams.get('state')).toBe(pending.state);
  expect(callback.searchParams.get('code')).toEqual(expect.any(String));
  const tokens = await redeem(rp, callback, pending);
  expect(tokens.claims()).toMatchObject({ sub: ada.user.id, org: ada.orgs[1]!.id, role: 'viewer' });
});
