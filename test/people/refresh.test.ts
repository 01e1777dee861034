import { sql } from 'kysely';

import { basicAuth, postForm, postJson } from '../support/oauth.js';
import { authorizationRequest, givenApplication, givenPerson, redeem, relyingParty, oidc, givenPersonSignedIn } from '../support/people.js';
import { useTessera, type RunningTessera } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

const tessera = useTessera({ REFRESH_TOKEN_TTL: '600', REFRESH_TOKEN_MAX_TTL: '900' });
const shortFamily = useTessera({ REFRESH_TOKEN_TTL: '600', REFRESH_TOKEN_MAX_TTL: '300' });

async function signInWithOfflineAccess(server: RunningTessera, type: 'web' | 'spa' = 'web') {
  const ada = await givenPerson(server.core);
  const app = await givenApplication(server.core, { type });
  const rp = await relyingParty(server.url, app);
  // No prompt=consent: offline_access is honoured as Auth0 honours it.
  const pending = await authorizationRequest(rp, { scope: 'openid profile email offline_access' });
  const browser = new UserAgent(server.url);
  const step = await browser.signIn(await browser.open(pending.url), ada.email, ada.password);
  if (step.kind !== 'left') throw new Error(textOf(step));
  return { ada, app, rp, tokens: await redeem(rp, step.location, pending) };
}

const refreshJson = (server: RunningTessera, app: { clientId: string; clientSecret?: string }, refreshToken: string) =>
  postJson(`${server.url}/oauth/token`, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: refreshToken });

const storedRefreshTokens = (server: RunningTessera) =>
  sql<{ expires_at: Date; consumed_at: Date | null }>`select expires_at, consumed_at from oidc_payloads where model = 'RefreshToken'`.execute(server.core.storage.db);

describe('refresh tokens (seed 000, step 5)', () => {
  test('offline_access without prompt=consent yields a refresh token, stored in Postgres, rotated on every use', async () => {
    const { ada, app, rp, tokens } = await signInWithOfflineAccess(tessera);
    expect(tokens.refresh_token).toEqual(expect.any(String));

    const second = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(second.refresh_token).toEqual(expect.any(String));
    expect(second.refresh_token).not.toBe(tokens.refresh_token);
    expect(second.claims()).toMatchObject({ sub: ada.user.id, org: ada.org.id, role: 'editor' });

    // The seed's JSON refresh request, unchanged.
    const third = await refreshJson(tessera, app, second.refresh_token!);
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), token_type: 'Bearer' });

    const rows = (await storedRefreshTokens(tessera)).rows;
    expect(rows.length).toBeGreaterThanOrEqual(3);
  });

  test('presenting an already-used refresh token fails and revokes the whole family', async () => {
    const { app, rp, tokens } = await signInWithOfflineAccess(tessera);
    const rotated = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);

    const reuse = await refreshJson(tessera, app, tokens.refresh_token!);
    expect(reuse.status).toBe(400);
    expect(reuse.body).toMatchObject({ error: 'invalid_grant' });

    const newest = await refreshJson(tessera, app, rotated.refresh_token!);
    expect(newest.status).toBe(400);
    expect(newest.body).toMatchObject({ error: 'invalid_grant' });
    const userinfo = await fetch(`${tessera.url}/userinfo`, { headers: { authorization: `Bearer ${rotated.access_token}` } });
    expect(userinfo.status).toBe(401);
  });

  test('the same refresh token sent five times at once is rotated once; the replays revoke the family', async () => {
    const { app, tokens } = await signInWithOfflineAccess(tessera);
    const answers = await Promise.all(Array.from({ length: 5 }, () => refreshJson(tessera, app, tokens.refresh_token!)));

    const winners = answers.filter((answer) => answer.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 400 && answer.body.error === 'invalid_grant')).toHaveLength(4);
    const successor = await refreshJson(tessera, app, winners[0]!.body.refresh_token as string);
    expect(successor.body).toMatchObject({ error: 'invalid_grant' });
  });

  test('public clients rotate too, and a refresh token only works for the client it was issued to', async () => {
    const { app, tokens } = await signInWithOfflineAccess(tessera, 'spa');
    const other = await givenApplication(tessera.core, { type: 'spa' });
    const stolen = await postForm(`${tessera.url}/oauth/token`, { grant_type: 'refresh_token', client_id: other.clientId, refresh_token: tokens.refresh_token! });
    expect(stolen.body).toMatchObject({ error: 'invalid_grant' });

    const rotated = await postForm(`${tessera.url}/oauth/token`, { grant_type: 'refresh_token', client_id: app.clientId, refresh_token: tokens.refresh_token! });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(tokens.refresh_token);
  });

  test('without offline_access no refresh token is issued', async () => {
    const { rp, pending, callback } = await givenPersonSignedIn(tessera);
    expect((await redeem(rp, callback, pending)).refresh_token).toBeUndefined();
  });

  test('lifetime is the rolling REFRESH_TOKEN_TTL, capped by REFRESH_TOKEN_MAX_TTL', async () => {
    for (const [server, expected] of [[tessera, 600], [shortFamily, 300]] as const) {
      await sql`delete from oidc_payloads where model = 'RefreshToken'`.execute(server.core.storage.db);
      await signInWithOfflineAccess(server);
      const [row] = (await storedRefreshTokens(server)).rows;
      const seconds = (new Date(row!.expires_at).getTime() - Date.now()) / 1000;
      expect(seconds).toBeGreaterThan(expected - 30);
      expect(seconds).toBeLessThanOrEqual(expected);
    }
  });
});

describe('introspecting a person\'s refresh token', () => {
  const introspectAs = (caller: { clientId: string; clientSecret?: string }, token: string) =>
    postForm(`${tessera.url}/oauth/introspect`, { token }, { authorization: basicAuth(caller.clientId, caller.clientSecret!) });
  const machineCredentialOf = async (orgId: string) => {
    const { client, secret } = await tessera.core.clients.create({ orgId, name: 'Resource server', type: 'm2m', role: 'viewer', actor: 'test' });
    return { clientId: client.id, clientSecret: secret! };
  };

  test('is answered to its own application and to machine credentials of the organization it acts for, never to another organization', async () => {
    const { ada, app, tokens } = await signInWithOfflineAccess(tessera);
    const outsider = await machineCredentialOf((await tessera.core.organizations.create({ name: 'Globex', actor: 'test' })).id);
    const appOwner = await machineCredentialOf(app.client.orgId);
    const adasOrganization = await machineCredentialOf(ada.org.id);

    expect((await introspectAs(app, tokens.refresh_token!)).body).toMatchObject({ active: true, sub: ada.user.id, client_id: app.clientId });
    expect((await introspectAs(adasOrganization, tokens.refresh_token!)).body).toMatchObject({ active: true, sub: ada.user.id });
    // The application's vendor and a stranger learn nothing, exactly as for an unknown token.
    for (const caller of [outsider, appOwner]) {
      const answer = await introspectAs(caller, tokens.refresh_token!);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ active: false });
    }
    // Nor about the opaque access token of /userinfo, which belongs to the same grant.
    expect((await introspectAs(outsider, tokens.access_token)).body).toEqual({ active: false });
    expect((await introspectAs(adasOrganization, tokens.access_token)).body).toMatchObject({ active: true, sub: ada.user.id });
  });
});
