import { postForm } from '../support/oauth.js';
import { CALLBACK, authorizationRequest, givenApplication, givenPerson, redeem, relyingParty } from '../support/people.js';
import { useTessera } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

const tessera = useTessera();

async function codeFor(app: { clientId: string; clientSecret?: string }, params: Record<string, string> = {}) {
  const ada = await givenPerson(tessera.core);
  const rp = await relyingParty(tessera.url, app);
  const pending = await authorizationRequest(rp, params);
  const browser = new UserAgent(tessera.url);
  const step = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
  if (step.kind !== 'left') throw new Error(textOf(step));
  return { rp, pending, callback: step.location, code: step.location.searchParams.get('code')! };
}

const exchange = (app: { clientId: string; clientSecret?: string }, code: string, verifier: string) =>
  postForm(`${tessera.url}/oauth/token`, { grant_type: 'authorization_code', client_id: app.clientId, client_secret: app.clientSecret!, code, redirect_uri: CALLBACK, code_verifier: verifier });

describe('an authorization code is single-use', () => {
  test('a second redemption fails and revokes the tokens the first one issued', async () => {
    const app = await givenApplication(tessera.core);
    const { rp, pending, callback, code } = await codeFor(app, { scope: 'openid email offline_access' });
    const first = await redeem(rp, callback, pending);
    expect(first.refresh_token).toEqual(expect.any(String));

    const replay = await exchange(app, code, pending.codeVerifier);
    expect(replay.status).toBe(400);
    expect(replay.body).toMatchObject({ error: 'invalid_grant' });

    const userinfo = await fetch(`${tessera.url}/userinfo`, { headers: { authorization: `Bearer ${first.access_token}` } });
    expect(userinfo.status).toBe(401);
    const refresh = await postForm(`${tessera.url}/oauth/token`, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret!, refresh_token: first.refresh_token! });
    expect(refresh.body).toMatchObject({ error: 'invalid_grant' });
  });

  test('two racing redemptions give exactly one success', async () => {
    const app = await givenApplication(tessera.core);
    const { pending, code } = await codeFor(app);
    const results = await Promise.all(Array.from({ length: 6 }, () => exchange(app, code, pending.codeVerifier)));
    expect(results.filter((result) => result.status === 200)).toHaveLength(1);
    for (const result of results.filter((r) => r.status !== 200)) expect(result.body).toMatchObject({ error: 'invalid_grant' });
  });

  test('a code lives 60 seconds at most and is bound to the client it was issued to', async () => {
    const app = await givenApplication(tessera.core);
    const other = await givenApplication(tessera.core);
    const { pending, code } = await codeFor(app);
    const stored = await tessera.tessera.provider.AuthorizationCode.find(code, { ignoreSessionBinding: true } as never);
    expect(stored!.exp! - stored!.iat!).toBeLessThanOrEqual(60);
    const stolen = await exchange(other, code, pending.codeVerifier);
    expect(stolen.body).toMatchObject({ error: 'invalid_grant' });
  });
});
