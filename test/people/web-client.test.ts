import { postJson } from '../support/oauth.js';
import { CALLBACK, authorizationRequest, givenApiWithPermissions, givenApplication, givenPerson, oidc, redeem, relyingParty, givenPersonSignedIn } from '../support/people.js';
import { createResourceServer } from '../support/resource-server.js';
import { openSecondProcessCore, usingPostgres, useTessera } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

const tessera = useTessera();

describe('a person signs in to a confidential web application (seed 000, steps 1-4)', () => {
  test('login page, callback with code and the same state, tokens whose ID token a third-party verifier accepts', async () => {
    const ada = await givenPerson(tessera.core, { roles: ['editor'], name: 'Ada Lovelace' });
    const app = await givenApplication(tessera.core, { type: 'web' });
    const rp = await relyingParty(tessera.url, app);
    const pending = await authorizationRequest(rp);
    const browser = new UserAgent(tessera.url);

    const login = await browser.open(pending.url);
    expect(login).toMatchObject({ kind: 'page', status: 200 });
    expect(textOf(login)).toContain('Sign in');
    const callback = await browser.signIn(login, ada.email, ada.password);

    expect(callback.kind).toBe('left');
    if (callback.kind !== 'left') return;
    expect(`${callback.location.origin}${callback.location.pathname}`).toBe(CALLBACK);
    expect(callback.location.searchParams.get('state')).toBe(pending.state);
    expect(callback.location.searchParams.get('code')).toEqual(expect.any(String));

    const tokens = await redeem(rp, callback.location, pending);
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) });
    expect(tokens.refresh_token).toBeUndefined();

    // A verifier we did not write: jsonwebtoken + jwks-rsa against the JWKS, audience = client id.
    const idToken = await createResourceServer(tessera.url, app.clientId).verify(tokens.id_token!);
    expect(idToken).toMatchObject({
      iss: tessera.url,
      aud: app.clientId,
      sub: ada.user.id,
      nonce: pending.nonce,
      email: ada.email,
      email_verified: true,
      name: 'Ada Lovelace',
      org: ada.org.id,
      role: 'editor',
    });

    const userinfo = await oidc.fetchUserInfo(rp, tokens.access_token, ada.user.id);
    expect(userinfo).toMatchObject({ sub: ada.user.id, email: ada.email, email_verified: true, name: 'Ada Lovelace', org: ada.org.id, role: 'editor' });
  });

  test('a first-party application asking for offline_access goes from the login form straight back with a code: no consent step', async () => {
    const ada = await givenPerson(tessera.core, { roles: ['editor'] });
    const app = await givenApplication(tessera.core, { type: 'web' });
    const rp = await relyingParty(tessera.url, app);
    // offline_access makes Tessera prompt for consent (oidc-provider keeps the scope only then);
    // for a first-party application that prompt is settled without a page or a redirect.
    const pending = await authorizationRequest(rp, { scope: 'openid email offline_access' });
    const browser = new UserAgent(tessera.url);
    const login = await browser.open(pending.url);
    const afterLogin = browser.requests.length;
    const callback = await browser.signIn(login, ada.email, ada.password);
    if (callback.kind !== 'left') throw new Error(textOf(callback));

    expect(browser.requests.slice(afterLogin).map((request) => request.replace(/\/[\w-]{20,}/g, '/:uid'))).toEqual(['POST /interaction/:uid/login', 'GET /authorize/:uid']);
    const tokens = await redeem(rp, callback.location, pending);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    expect(await createResourceServer(tessera.url, app.clientId).verify(tokens.id_token!)).toMatchObject({ sub: ada.user.id, org: ada.org.id, role: 'editor' });
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.refresh_token).toEqual(expect.any(String));
  });

  test('with an audience, the access token carries sub, org, role and the permissions the API defines for that role', async () => {
    const ada = await givenPerson(tessera.core, { roles: ['editor'] });
    const api = await givenApiWithPermissions(tessera.core);
    const app = await givenApplication(tessera.core);
    const rp = await relyingParty(tessera.url, app);
    const pending = await authorizationRequest(rp, { audience: api.identifier });
    const browser = new UserAgent(tessera.url);
    const callback = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
    if (callback.kind !== 'left') throw new Error(textOf(callback));

    const tokens = await redeem(rp, callback.location, pending);
    const claims = await createResourceServer(tessera.url, api.identifier).verify(tokens.access_token);
    expect(claims).toMatchObject({ sub: ada.user.id, client_id: app.clientId, org: ada.org.id, role: 'editor', aud: api.identifier });
    // Editors may read, create and approve requirements but not invite users (seed 000's matrix).
    expect(claims.permissions).toEqual(['requirements:approve', 'requirements:create', 'requirements:read']);
  });

  test('a permission granted to a role later is in the next refreshed access token, whichever process granted it', async () => {
    const grace = await givenPerson(tessera.core, { roles: ['viewer'] });
    const api = await givenApiWithPermissions(tessera.core);
    const app = await givenApplication(tessera.core);
    const rp = await relyingParty(tessera.url, app);
    const pending = await authorizationRequest(rp, { audience: api.identifier, scope: 'openid offline_access' });
    const browser = new UserAgent(tessera.url);
    const callback = await browser.signIn(await browser.open(pending.url), grace.email, grace.password);
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    let tokens = await redeem(rp, callback.location, pending);
    const resourceServer = createResourceServer(tessera.url, api.identifier);
    expect((await resourceServer.verify(tokens.access_token)).permissions).toEqual(['requirements:read']);

    // An administrator lets viewers create requirements: from the CLI (another process) on
    // Postgres; on the embedded database a socket client's NOTIFY does not reach the server's
    // listener, so there the change is made in the server's process.
    const granter = usingPostgres ? await openSecondProcessCore(tessera.environment) : tessera.core;
    try {
      await granter.permissions.grantToRoles('requirements:create', ['viewer']);
    } finally {
      if (granter !== tessera.core) await granter.close();
    }

    // The server hears of it through the change feed (asynchronously, within moments).
    let permissions: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      tokens = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
      permissions = (await resourceServer.verify(tokens.access_token)).permissions;
      if (Array.isArray(permissions) && permissions.length > 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(permissions).toEqual(['requirements:create', 'requirements:read']);
  });

  test('the seed\'s JSON token request works unchanged (client_secret in the body)', async () => {
    const { app, pending, callback } = await givenPersonSignedIn(tessera);

    const response = await postJson(`${tessera.url}/oauth/token`, {
      grant_type: 'authorization_code',
      client_id: app.clientId,
      client_secret: app.clientSecret,
      code: callback.searchParams.get('code'),
      redirect_uri: CALLBACK,
      code_verifier: pending.codeVerifier,
    });
    expect(response.body.error_description).toBeUndefined();
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ access_token: expect.any(String), id_token: expect.any(String), token_type: 'Bearer', expires_in: expect.any(Number) });
  });
});

describe('the login page', () => {
  test('gives one error text for an unknown email and for a wrong password', async () => {
    const ada = await givenPerson(tessera.core);
    const app = await givenApplication(tessera.core);
    const pending = await authorizationRequest(await relyingParty(tessera.url, app));
    const browser = new UserAgent(tessera.url);
    const login = await browser.open(pending.url);

    const unknown = await browser.signIn(login, 'nobody@example.com', ada.password);
    const wrong = await browser.signIn(unknown, ada.email, 'not the password');
    expect(unknown).toMatchObject({ kind: 'page', status: 401 });
    expect(wrong).toMatchObject({ kind: 'page', status: 401 });
    expect(textOf(unknown)).toContain('Incorrect email or password.');
    expect(textOf(wrong)).toContain('Incorrect email or password.');
    expect(textOf(unknown).replace('nobody@example.com', 'X')).toBe(textOf(wrong).replace(ada.email, 'X'));
    // The email is case-insensitive: the same person signs in typed in capitals.
    const signedIn = await browser.signIn(wrong, ada.email.toUpperCase(), ada.password);
    expect(signedIn.kind).toBe('left');
  });

  test('has labelled inputs, no external resources and no script', async () => {
    const app = await givenApplication(tessera.core);
    const page = await new UserAgent(tessera.url).open((await authorizationRequest(await relyingParty(tessera.url, app))).url);
    if (page.kind !== 'page') throw new Error('expected the login page');
    expect(page.html).toMatch(/<label for="email">Email<\/label>\s*<input id="email"/);
    expect(page.html).toMatch(/<label for="password">Password<\/label>\s*<input id="password"/);
    expect(page.html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
    expect(page.headers.get('cache-control')).toBe('no-store');
  });

  test('refuses a form without the CSRF token, and a form posted to an unknown interaction', async () => {
    const ada = await givenPerson(tessera.core);
    const app = await givenApplication(tessera.core);
    const browser = new UserAgent(tessera.url);
    const login = await browser.open((await authorizationRequest(await relyingParty(tessera.url, app))).url);
    const forged = await browser.submit(login, /\/login$/, { email: ada.email, password: ada.password, csrf: 'forged' });
    expect(forged).toMatchObject({ kind: 'page', status: 403 });

    const stranger = await fetch(`${tessera.url}/interaction/unknown-uid/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'email=a&password=b&csrf=c' });
    expect(stranger.status).toBe(400);
    expect(await stranger.text()).toContain('expired');
  });

  test('an unregistered redirect_uri gets an error page, never a redirect (exact matching)', async () => {
    const app = await givenApplication(tessera.core);
    const rp = await relyingParty(tessera.url, app);
    for (const redirect of ['https://evil.example.com/cb', `${CALLBACK}/extra`, `${CALLBACK}?x=1`, CALLBACK.replace('https', 'http')]) {
      const response = await fetch((await authorizationRequest(rp, { redirect_uri: redirect })).url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      const body = await response.text();
      expect(body).toContain('redirect_uri');
      expect(body).not.toContain('<script');
    }
  });
});
