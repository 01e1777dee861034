import { createHash, randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';

import { givenMachineCredential } from '../support/factories.js';
import { exchangeApiKey, givenCaller, givenOrganization } from '../support/management.js';
import { basicAuth, postForm, postJson } from '../support/oauth.js';
import { authorizationRequest, givenApplication, givenPerson, oidc, redeem, relyingParty } from '../support/people.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

let environment: TestEnvironment;
let server: RunningTessera;
let logs = '';

beforeAll(async () => {
  environment = await createEnvironment();
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  server = await startTessera(environment, {}, { logTo: stream });
});

afterAll(async () => {
  await server.stop();
  await environment.cleanup();
});

test('no secret, token or digest Tessera handed out appears in any log line (logging at trace level)', async () => {
  const secrets: string[] = [];
  const credential = await givenMachineCredential(server.core);
  secrets.push(credential.clientSecret);
  const tokenUrl = `${server.url}/oauth/token`;

  const json = await postJson(tokenUrl, { client_id: credential.clientId, client_secret: credential.clientSecret, audience: credential.api.identifier, grant_type: 'client_credentials' });
  const basic = await postForm(tokenUrl, { grant_type: 'client_credentials', audience: credential.api.identifier }, { authorization: basicAuth(credential.clientId, credential.clientSecret) });
  secrets.push(json.body.access_token as string, basic.body.access_token as string);
  await postJson(tokenUrl, { client_id: credential.clientId, client_secret: `${credential.clientSecret}x`, audience: credential.api.identifier, grant_type: 'client_credentials' });
  const { secret: rotated } = await server.core.clients.rotateSecret(credential.clientId, { gracePeriodSeconds: 60, actor: 'test' });
  secrets.push(rotated);
  await postJson(tokenUrl, { client_id: credential.clientId, client_secret: rotated, audience: credential.api.identifier, grant_type: 'client_credentials' });
  await postJson(tokenUrl, '{"broken json', { 'x-request-id': 'malformed-1' });

  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(logs).toContain('"route":"/oauth/token"');
  expect(logs).toContain('malformed-1');
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(20);
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(createHash('sha256').update(secret).digest('hex'));
  }
  // and none in the audit trail either
  const audit = JSON.stringify(await server.core.storage.db.selectFrom('audit_events').selectAll().execute());
  for (const secret of secrets) expect(audit).not.toContain(secret);
});

/** Every secret must be absent from the logs and the audit trail, as itself and as its SHA-256 hex digest. */
async function expectNowhere(secrets: Record<string, string>) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  const audit = JSON.stringify(await server.core.storage.db.selectFrom('audit_events').selectAll().execute());
  const lines = logs.split('\n');
  for (const [what, secret] of Object.entries(secrets)) {
    expect({ what, length: secret.length > 12 }).toEqual({ what, length: true });
    const digest = createHash('sha256').update(secret).digest('hex');
    for (const needle of [secret, digest]) {
      const line = lines.find((candidate) => candidate.includes(needle));
      expect({ what, line }).toEqual({ what, line: undefined });
      expect({ what, inAudit: audit.includes(needle) }).toEqual({ what, inAudit: false });
    }
  }
}

test('a full run — people, passwords, codes, ID/access/refresh tokens, API keys, rotated secrets, failed logins — leaves no secret in any log line or the audit trail', async () => {
  const secrets: Record<string, string> = {};
  const loginsBefore = (logs.match(/"route":"\/interaction/g) ?? []).length;

  // A person (created as the CLI does) signs in through the login page, after two failed attempts.
  const ada = await givenPerson(server.core);
  secrets.password = ada.password;
  const app = await givenApplication(server.core, { type: 'web' });
  secrets['web client secret'] = app.clientSecret!;
  const rp = await relyingParty(server.url, app);
  const pending = await authorizationRequest(rp, { scope: 'openid profile email offline_access' });
  secrets['PKCE verifier'] = pending.codeVerifier;
  const browser = new UserAgent(server.url);
  const login = await browser.open(pending.url);
  const wrongPassword = `wrong horse ${randomBytes(6).toString('hex')}`;
  secrets['failed password'] = wrongPassword;
  const failedUnknown = await browser.signIn(login, `nobody-${randomBytes(3).toString('hex')}@example.com`, ada.password);
  const failedWrong = await browser.signIn(failedUnknown, ada.email, wrongPassword);
  expect(failedWrong).toMatchObject({ kind: 'page', status: 401 });
  const callback = await browser.signIn(failedWrong, ada.email, ada.password);
  if (callback.kind !== 'left') throw new Error(textOf(callback));
  secrets['authorization code'] = callback.location.searchParams.get('code')!;

  const tokens = await redeem(rp, callback.location, pending);
  secrets['ID token'] = tokens.id_token!;
  secrets['access token'] = tokens.access_token;
  secrets['refresh token'] = tokens.refresh_token!;
  await oidc.fetchUserInfo(rp, tokens.access_token, ada.user.id);
  const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
  secrets['rotated refresh token'] = refreshed.refresh_token!;
  secrets['refreshed access token'] = refreshed.access_token;
  // Replaying the consumed refresh token fails (and revokes the family): a failure path that sees it.
  expect((await postJson(`${server.url}/oauth/token`, { grant_type: 'refresh_token', client_id: app.clientId, client_secret: app.clientSecret, refresh_token: tokens.refresh_token })).status).toBe(400);
  await postForm(`${server.url}/oauth/introspect`, { token: refreshed.access_token }, { authorization: basicAuth(app.clientId, app.clientSecret!) });

  // The management API: an admin creates an API key, exchanges it, and rotates a credential's secret.
  const org = await givenOrganization(server.core);
  const admin = await givenCaller(server, org.id, 'admin');
  secrets['admin client secret'] = admin.clientSecret;
  secrets['management token'] = admin.token;
  const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'CI key', role: 'viewer', expires_in_days: 30 });
  expect(created.status).toBe(201);
  secrets['API key'] = created.body.key as string;
  const exchanged = await exchangeApiKey(server, created.body.key as string, { audience: `${server.url}/api/v1` });
  expect(exchanged.status).toBe(200);
  secrets['exchanged token'] = exchanged.body.access_token as string;
  expect((await exchangeApiKey(server, `${created.body.key as string}x`, { audience: `${server.url}/api/v1` })).status).toBeGreaterThanOrEqual(400);
  const credential = await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'Pipeline', role: 'viewer' });
  expect(credential.status).toBe(201);
  secrets['credential secret'] = credential.body.client_secret as string;
  const rotated = await admin.api.post(`/organizations/${org.id}/credentials/${credential.body.id as string}/rotate`, { grace_period_seconds: 0 });
  expect(rotated.status).toBe(200);
  secrets['rotated credential secret'] = rotated.body.client_secret as string;
  // A failed client authentication with the old secret, one with a wrong bearer on the API.
  await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { authorization: basicAuth(credential.body.id as string, credential.body.client_secret as string) });
  await fetch(`${server.url}/api/v1/organizations/${org.id}/api-keys`, { headers: { authorization: `Bearer ${admin.token}x` } });

  // The run was logged (so an empty log cannot pass), and failed logins were audited without the password.
  expect((logs.match(/"route":"\/interaction/g) ?? []).length).toBeGreaterThan(loginsBefore);
  expect(logs).toContain('/api/v1/organizations');
  await expectNowhere(secrets);
});
