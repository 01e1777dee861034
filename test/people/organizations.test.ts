import { authorizationRequest, givenApplication, givenPerson, oidc, redeem, relyingParty } from '../support/people.js';
import { useTessera } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

const tessera = useTessera();

async function start(params: Record<string, string> = {}, person?: Awaited<ReturnType<typeof givenPerson>>) {
  const ada = person ?? (await givenPerson(tessera.core, { roles: ['viewer', 'admin'], orgNames: ['Acme <Corp>', 'Globex & Co'] }));
  const app = await givenApplication(tessera.core);
  const rp = await relyingParty(tessera.url, app);
  const pending = await authorizationRequest(rp, params);
  const browser = new UserAgent(tessera.url);
  const afterLogin = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
  return { ada, app, rp, pending, browser, afterLogin };
}

describe('a person in several organizations', () => {
  test('chooses one on a page listing them (escaped), and the tokens act for it with the role held there', async () => {
    const { ada, rp, pending, browser, afterLogin } = await start();
    expect(afterLogin).toMatchObject({ kind: 'page', status: 200 });
    if (afterLogin.kind !== 'page') return;
    expect(afterLogin.html).toContain('Acme &lt;Corp&gt;');
    expect(afterLogin.html).toContain('Globex &amp; Co');
    expect(afterLogin.html).not.toContain('<Corp>');

    const callback = await browser.submit(afterLogin, /\/organization$/, { organization: ada.orgs[1]!.id });
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    const tokens = await redeem(rp, callback.location, pending);
    expect(tokens.claims()).toMatchObject({ org: ada.orgs[1]!.id, role: 'admin' });
  });

  test('still chooses on the page when the application asks for offline_access (no consent step to skip it)', async () => {
    const { ada, rp, pending, browser, afterLogin } = await start({ scope: 'openid offline_access' });
    expect(afterLogin).toMatchObject({ kind: 'page', status: 200 });
    const callback = await browser.submit(afterLogin, /\/organization$/, { organization: ada.orgs[0]!.id });
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    const tokens = await redeem(rp, callback.location, pending);
    expect(tokens.claims()).toMatchObject({ org: ada.orgs[0]!.id, role: 'viewer' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
  });

  test('a submitted organization that is not theirs shows the choice again', async () => {
    const { afterLogin, browser } = await start();
    const other = await tessera.core.organizations.create({ name: 'Initech', actor: 'test' });
    const again = await browser.submit(afterLogin, /\/organization$/, { organization: other.id });
    expect(again).toMatchObject({ kind: 'page', status: 400 });
    expect(textOf(again)).toContain('Choose one of your organizations.');
  });

  test('the organization parameter naming one of theirs skips the choice', async () => {
    const ada = await givenPerson(tessera.core, { roles: ['viewer', 'contributor'] });
    const { rp, pending, afterLogin } = await start({ organization: ada.orgs[1]!.id }, ada);
    if (afterLogin.kind !== 'left') throw new Error(textOf(afterLogin));
    expect((await redeem(rp, afterLogin.location, pending)).claims()).toMatchObject({ org: ada.orgs[1]!.id, role: 'contributor' });
  });

  test('the organization parameter naming one they are not in is refused with access_denied', async () => {
    const stranger = await tessera.core.organizations.create({ name: 'Initech', actor: 'test' });
    const { pending, afterLogin } = await start({ organization: stranger.id });
    if (afterLogin.kind !== 'left') throw new Error(textOf(afterLogin));
    expect(afterLogin.location.searchParams.get('error')).toBe('access_denied');
    expect(afterLogin.location.searchParams.get('error_description')).toBe('the user is not a member of the requested organization');
    expect(afterLogin.location.searchParams.get('state')).toBe(pending.state);
    expect(afterLogin.location.searchParams.get('code')).toBeNull();
  });

  test('switching organization in the same session starts a new grant; earlier refresh tokens keep theirs', async () => {
    const ada = await givenPerson(tessera.core, { roles: ['viewer', 'editor'] });
    const { app, rp, pending, browser, afterLogin } = await start({ organization: ada.orgs[0]!.id, scope: 'openid offline_access' }, ada);
    if (afterLogin.kind !== 'left') throw new Error(textOf(afterLogin));
    const first = await redeem(rp, afterLogin.location, pending);

    const second = await authorizationRequest(rp, { organization: ada.orgs[1]!.id, scope: 'openid offline_access' });
    const callback = await browser.open(second.url); // already signed in: no login page
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    const tokens = await redeem(rp, callback.location, second);
    expect(tokens.claims()).toMatchObject({ org: ada.orgs[1]!.id, role: 'editor' });

    const refreshed = await oidc.refreshTokenGrant(rp, first.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ org: ada.orgs[0]!.id, role: 'viewer' });
    expect(app.clientId).toBe(tokens.claims()!.aud);
  });

  test('a role change shows in the next refresh; leaving the organization stops refreshes', async () => {
    const ada = await givenPerson(tessera.core, { roles: ['viewer'] });
    const { rp, pending, afterLogin } = await start({ scope: 'openid offline_access' }, ada);
    if (afterLogin.kind !== 'left') throw new Error(textOf(afterLogin));
    const tokens = await redeem(rp, afterLogin.location, pending);
    await tessera.core.memberships.setRole({ orgId: ada.org.id, userId: ada.user.id, role: 'editor', actor: 'test' });
    const promoted = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(promoted.claims()).toMatchObject({ role: 'editor' });
    await tessera.core.memberships.remove({ orgId: ada.org.id, userId: ada.user.id, actor: 'test' });
    await expect(oidc.refreshTokenGrant(rp, promoted.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  test('a person in no organization is refused', async () => {
    const loner = await givenPerson(tessera.core, { roles: [] });
    const { afterLogin } = await start({}, loner);
    if (afterLogin.kind !== 'left') throw new Error(textOf(afterLogin));
    expect(afterLogin.location.searchParams.get('error')).toBe('access_denied');
  });
});

describe('a third-party application', () => {
  test('asks for consent; a first-party one does not', async () => {
    const ada = await givenPerson(tessera.core);
    const app = await givenApplication(tessera.core, { thirdParty: true });
    const rp = await relyingParty(tessera.url, app);
    const pending = await authorizationRequest(rp);
    const browser = new UserAgent(tessera.url);
    const consent = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
    expect(consent).toMatchObject({ kind: 'page', status: 200 });
    expect(textOf(consent)).toContain('Authorize My Catalio Integration');
    expect(textOf(consent)).toContain('email');

    const callback = await browser.submit(consent, /\/consent$/, { decision: 'allow' });
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    expect((await redeem(rp, callback.location, pending)).claims()).toMatchObject({ sub: ada.user.id, org: ada.org.id });
  });

  test('asks for consent when it wants offline_access too', async () => {
    const ada = await givenPerson(tessera.core);
    const app = await givenApplication(tessera.core, { thirdParty: true });
    const rp = await relyingParty(tessera.url, app);
    const pending = await authorizationRequest(rp, { scope: 'openid email offline_access' });
    const browser = new UserAgent(tessera.url);
    const consent = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
    expect(consent).toMatchObject({ kind: 'page', status: 200 });
    expect(textOf(consent)).toContain('Authorize My Catalio Integration');
    const callback = await browser.submit(consent, /\/consent$/, { decision: 'allow' });
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    expect((await redeem(rp, callback.location, pending)).refresh_token).toEqual(expect.any(String));
  });

  test('a denied consent returns access_denied to the application', async () => {
    const ada = await givenPerson(tessera.core);
    const app = await givenApplication(tessera.core, { thirdParty: true });
    const pending = await authorizationRequest(await relyingParty(tessera.url, app));
    const browser = new UserAgent(tessera.url);
    const consent = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
    const denied = await browser.submit(consent, /\/consent$/, { decision: 'deny' });
    if (denied.kind !== 'left') throw new Error(textOf(denied));
    expect(denied.location.searchParams.get('error')).toBe('access_denied');
  });
});
