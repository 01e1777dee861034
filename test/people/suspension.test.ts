import { authorizationRequest, givenApplication, givenPerson, oidc, redeem, relyingParty } from '../support/people.js';
import { useTessera } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

const tessera = useTessera();

describe('suspending a person (tessera user suspend)', () => {
  test('stops refreshes, userinfo, the browser session and new sign-ins at once', async () => {
    const ada = await givenPerson(tessera.core);
    const app = await givenApplication(tessera.core);
    const rp = await relyingParty(tessera.url, app);
    const pending = await authorizationRequest(rp, { scope: 'openid email offline_access' });
    const browser = new UserAgent(tessera.url);
    const callback = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    const tokens = await redeem(rp, callback.location, pending);

    const suspended = await tessera.core.users.suspend(ada.user.id, { actor: 'test' });
    expect(suspended.status).toBe('suspended');

    await expect(oidc.refreshTokenGrant(rp, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
    const userinfo = await fetch(`${tessera.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(401);

    // The browser's session no longer authorizes anything: silently it is login_required …
    const silent = await browser.open((await authorizationRequest(rp, { prompt: 'none' })).url);
    if (silent.kind !== 'left') throw new Error(textOf(silent));
    expect(silent.location.searchParams.get('error')).toBe('login_required');
    // … and interactively it is the login page, which refuses them.
    const login = await browser.open((await authorizationRequest(rp)).url);
    expect(textOf(login)).toContain('Sign in');
    const refused = await browser.signIn(login, ada.email, ada.password);
    expect(refused).toMatchObject({ kind: 'page', status: 403 });
    expect(textOf(refused)).toContain('This account is suspended.');
  });

  test('a wrong password for a suspended account still gets the one generic error', async () => {
    const ada = await givenPerson(tessera.core);
    await tessera.core.users.suspend(ada.user.id, { actor: 'test' });
    const app = await givenApplication(tessera.core);
    const browser = new UserAgent(tessera.url);
    const login = await browser.open((await authorizationRequest(await relyingParty(tessera.url, app))).url);
    const wrong = await browser.signIn(login, ada.email, 'not the password');
    expect(textOf(wrong)).toContain('Incorrect email or password.');
    expect(textOf(wrong)).not.toContain('suspended');
  });
});
