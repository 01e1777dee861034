import { LOGOUT_URL, authorizationRequest, givenPersonSignedIn, oidc, redeem } from '../support/people.js';
import { useTessera } from '../support/tessera.js';
import { textOf } from '../support/user-agent.js';

const tessera = useTessera();

async function signedIn() {
  const { ada, rp, browser, pending, callback } = await givenPersonSignedIn(tessera);
  return { ada, rp, browser, tokens: await redeem(rp, callback, pending) };
}

describe('RP-initiated logout (/oidc/logout)', () => {
  test('ends the session and redirects to the registered post_logout_redirect_uri with the state', async () => {
    const { rp, browser, tokens } = await signedIn();
    // Signed in: a second authorization needs no login page.
    expect((await browser.open((await authorizationRequest(rp)).url)).kind).toBe('left');

    const confirm = await browser.open(oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: LOGOUT_URL, state: 'bye' }));
    expect(textOf(confirm)).toContain('Sign out');
    const left = await browser.submit(confirm, /\/oidc\/logout\/confirm$/, { logout: 'yes' });
    if (left.kind !== 'left') throw new Error(textOf(left));
    expect(`${left.location.origin}`).toBe(LOGOUT_URL);
    expect(left.location.searchParams.get('state')).toBe('bye');

    const after = await browser.open((await authorizationRequest(rp)).url);
    expect(after.kind).toBe('page');
    expect(textOf(after)).toContain('Sign in');
  });

  test('never redirects to an unregistered post_logout_redirect_uri', async () => {
    const { rp, browser, tokens } = await signedIn();
    const step = await browser.open(oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://evil.example.com/' }));
    expect(step).toMatchObject({ kind: 'page', status: 400 });
    expect(textOf(step)).toContain('post_logout_redirect_uri');
  });
});
