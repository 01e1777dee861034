import { postForm } from '../support/oauth.js';
import { CALLBACK, authorizationRequest, givenApplication, givenPerson, redeem, relyingParty } from '../support/people.js';
import { useTessera } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

const tessera = useTessera();

async function signedInCallback(url: URL, person: { email: string; password: string }) {
  const browser = new UserAgent(tessera.url);
  const step = await browser.signIn(await browser.open(url), person.email, person.password);
  if (step.kind !== 'left') throw new Error(`expected the callback, got: ${textOf(step)}`);
  return step.location;
}

describe('a public PKCE client (SPA) signs a person in', () => {
  test('with S256, openid-client redeems the code without a secret', async () => {
    const ada = await givenPerson(tessera.core, { roles: ['viewer'] });
    const spa = await givenApplication(tessera.core, { type: 'spa' });
    expect(spa.clientSecret).toBeUndefined();
    const rp = await relyingParty(tessera.url, spa);
    const pending = await authorizationRequest(rp);
    const tokens = await redeem(rp, await signedInCallback(pending.url, ada), pending);
    expect(tokens.claims()).toMatchObject({ sub: ada.user.id, org: ada.org.id, role: 'viewer', nonce: pending.nonce });
  });

  test('without a code_challenge it is refused at /authorize (PKCE required for public clients)', async () => {
    const spa = await givenApplication(tessera.core, { type: 'spa' });
    const rp = await relyingParty(tessera.url, spa);
    const pending = await authorizationRequest(rp);
    pending.url.searchParams.delete('code_challenge');
    pending.url.searchParams.delete('code_challenge_method');
    const step = await new UserAgent(tessera.url).open(pending.url);
    if (step.kind !== 'left') throw new Error(textOf(step));
    expect(step.location.searchParams.get('error')).toBe('invalid_request');
    expect(step.location.searchParams.get('error_description')).toMatch(/PKCE/);
    expect(step.location.searchParams.get('state')).toBe(pending.state);
  });

  test('code_challenge_method=plain is refused', async () => {
    const spa = await givenApplication(tessera.core, { type: 'spa' });
    const pending = await authorizationRequest(await relyingParty(tessera.url, spa), { code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) });
    const step = await new UserAgent(tessera.url).open(pending.url);
    if (step.kind !== 'left') throw new Error(textOf(step));
    expect(step.location.searchParams.get('error')).toBe('invalid_request');
    expect(step.location.searchParams.get('error_description')).toMatch(/code_challenge_method/);
  });

  test('a wrong or missing code_verifier gets invalid_grant', async () => {
    const ada = await givenPerson(tessera.core);
    const spa = await givenApplication(tessera.core, { type: 'spa' });
    const rp = await relyingParty(tessera.url, spa);
    const pending = await authorizationRequest(rp);
    const code = (await signedInCallback(pending.url, ada)).searchParams.get('code')!;
    const wrong = await postForm(`${tessera.url}/oauth/token`, { grant_type: 'authorization_code', client_id: spa.clientId, code, redirect_uri: CALLBACK, code_verifier: 'x'.repeat(43) });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: 'invalid_grant' });
  });

  test('a confidential client that sent a challenge must present the verifier too', async () => {
    const ada = await givenPerson(tessera.core);
    const web = await givenApplication(tessera.core, { type: 'web' });
    const pending = await authorizationRequest(await relyingParty(tessera.url, web));
    const code = (await signedInCallback(pending.url, ada)).searchParams.get('code')!;
    const missing = await postForm(`${tessera.url}/oauth/token`, { grant_type: 'authorization_code', client_id: web.clientId, client_secret: web.clientSecret!, code, redirect_uri: CALLBACK });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ error: 'invalid_grant' });
  });
});
