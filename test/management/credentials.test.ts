import { givenMachineCredential } from '../support/factories.js';
import { auditEventsOf, givenOrganizationWithTeam, introspect, managementToken } from '../support/management.js';
import { postJson } from '../support/oauth.js';
import { openSecondProcessCore, useTessera } from '../support/tessera.js';

const server = useTessera();

const tokenFor = (clientId: string, clientSecret: string, audience: string) =>
  postJson(`${server.url}/oauth/token`, { client_id: clientId, client_secret: clientSecret, audience, grant_type: 'client_credentials' });

describe('an admin runs the lifecycle of a machine credential (seed 001)', () => {
  test('create (secret once), list and get (never a secret), use, revoke for good', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const { api } = await givenMachineCredential(server.core);

    const created = await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'CI/CD Pipeline', role: 'editor', description: 'deploys' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ client_id: expect.stringMatching(/^cred_/), client_secret: expect.any(String), role: 'editor', status: 'active', last_used_at: null });
    const clientId = created.body.client_id as string;
    const clientSecret = created.body.client_secret as string;

    const token = await tokenFor(clientId, clientSecret, api.identifier);
    expect(token.status).toBe(200);
    await server.core.clients.flushUsage();

    const list = await admin.api.get(`/organizations/${org.id}/credentials`);
    const listed = list.body.data!.find((item) => item.client_id === clientId)!;
    expect(listed).toMatchObject({ name: 'CI/CD Pipeline', role: 'editor', status: 'active', created_at: expect.any(String), last_used_at: expect.any(String) });
    const one = await admin.api.get(`/organizations/${org.id}/credentials/${clientId}`);
    expect(one.status).toBe(200);
    for (const text of [list.text, one.text, JSON.stringify(await auditEventsOf(server.core, org.id))]) {
      expect(text).not.toContain(clientSecret);
      expect(text).not.toMatch(/secret/);
    }

    expect((await admin.api.delete(`/organizations/${org.id}/credentials/${clientId}`)).status).toBe(204);
    expect((await tokenFor(clientId, clientSecret, api.identifier)).status).toBe(401);
    expect((await admin.api.get(`/organizations/${org.id}/credentials/${clientId}`)).body).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
    expect((await admin.api.post(`/organizations/${org.id}/credentials/${clientId}/rotate`, {})).status).toBe(404);
  });

  test('rotate without a grace period: the old secret stops at once', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const { api } = await givenMachineCredential(server.core);
    const created = await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'sync', role: 'viewer' });
    const rotated = await admin.api.post(`/organizations/${org.id}/credentials/${created.body.client_id as string}/rotate`, {});
    expect(rotated.status).toBe(200);
    expect(rotated.body.client_secret).not.toBe(created.body.client_secret);
    expect((await tokenFor(created.body.client_id as string, created.body.client_secret as string, api.identifier)).status).toBe(401);
    expect((await tokenFor(created.body.client_id as string, rotated.body.client_secret as string, api.identifier)).status).toBe(200);
  });

  test('rotate with a grace period: both secrets work during it, only the new one after', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const { api } = await givenMachineCredential(server.core);
    const created = await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'sync', role: 'viewer' });
    const id = created.body.client_id as string;
    const rotated = await admin.api.post(`/organizations/${org.id}/credentials/${id}/rotate`, { grace_period_seconds: 2 });
    expect(rotated.status).toBe(200);
    expect((await tokenFor(id, created.body.client_secret as string, api.identifier)).status).toBe(200);
    expect((await tokenFor(id, rotated.body.client_secret as string, api.identifier)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await tokenFor(id, created.body.client_secret as string, api.identifier)).status).toBe(401);
    expect((await tokenFor(id, rotated.body.client_secret as string, api.identifier)).status).toBe(200);
    const rotation = (await auditEventsOf(server.core, org.id)).find((event) => event.action === 'client.secret_rotated');
    expect(rotation).toMatchObject({ actor: `client:${admin.clientId}`, target_id: id, ip: '127.0.0.1', details: { grace_period_seconds: 2 } });
  });

  test('a bad body is 422 and changes nothing', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const before = (await server.core.clients.list(org.id, { limit: 100 })).length;
    const answers = [
      await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'x', role: 'owner' }),
      await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'x', role: 'viewer', client_secret: 'mine' }),
      await admin.api.post(`/organizations/${org.id}/credentials/${admin.clientId}/rotate`, { grace_period_seconds: -1 }),
    ];
    for (const answer of answers) expect(answer).toMatchObject({ status: 422, body: { error: 'validation_failed', status: 422 } });
    expect(answers[1]!.body.errors).toEqual([{ field: 'client_secret', message: 'is not a recognised field' }]);
    expect((await server.core.clients.list(org.id, { limit: 100 })).length).toBe(before);
  });
});

describe('the role × organization matrix for credentials', () => {
  test('viewers, contributors and editors read; only admins create, rotate and revoke', async () => {
    const { org, admin, editor, contributor, viewer } = await givenOrganizationWithTeam(server);
    const target = await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'target', role: 'viewer' });
    const id = target.body.client_id as string;
    for (const caller of [editor, contributor, viewer]) {
      expect((await caller.api.get(`/organizations/${org.id}/credentials`)).status).toBe(200);
      expect((await caller.api.get(`/organizations/${org.id}/credentials/${id}`)).status).toBe(200);
      expect((await caller.api.post(`/organizations/${org.id}/credentials`, { name: 'x', role: 'viewer' })).status).toBe(403);
      expect((await caller.api.post(`/organizations/${org.id}/credentials/${id}/rotate`, {})).status).toBe(403);
      expect((await caller.api.delete(`/organizations/${org.id}/credentials/${id}`)).body).toMatchObject({ error: 'forbidden', status: 403 });
    }
    expect((await server.core.clients.get(id)).status).toBe('active');
    await expect(managementToken(server, id, target.body.client_secret as string)).resolves.toEqual(expect.any(String));
  });

  test('another organization: 403 on its paths, 404 for our ids under its own path, nothing changes', async () => {
    const ours = await givenOrganizationWithTeam(server);
    const theirs = await givenOrganizationWithTeam(server);
    const target = await ours.admin.api.post(`/organizations/${ours.org.id}/credentials`, { name: 'target', role: 'admin' });
    const id = target.body.client_id as string;
    const before = await server.core.clients.list(ours.org.id, { limit: 100 });
    for (const attempt of [
      await theirs.admin.api.get(`/organizations/${ours.org.id}/credentials`),
      await theirs.admin.api.post(`/organizations/${ours.org.id}/credentials`, { name: 'planted', role: 'admin' }),
      await theirs.admin.api.post(`/organizations/${ours.org.id}/credentials/${id}/rotate`, {}),
      await theirs.admin.api.delete(`/organizations/${ours.org.id}/credentials/${id}`),
    ]) {
      expect(attempt.status).toBe(403);
    }
    for (const attempt of [
      await theirs.admin.api.get(`/organizations/${theirs.org.id}/credentials/${id}`),
      await theirs.admin.api.post(`/organizations/${theirs.org.id}/credentials/${id}/rotate`, {}),
      await theirs.admin.api.delete(`/organizations/${theirs.org.id}/credentials/${id}`),
    ]) {
      expect(attempt.status).toBe(404);
    }
    expect(await server.core.clients.list(ours.org.id, { limit: 100 })).toEqual(before);
    await expect(managementToken(server, id, target.body.client_secret as string)).resolves.toEqual(expect.any(String));
  });

  test('no token, a token for another API, and a revoked caller are all 401', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core, { role: 'admin' });
    const otherAudience = (await tokenFor(clientId, clientSecret, api.identifier)).body.access_token as string;
    const { managementClient } = await import('../support/management.js');
    expect((await managementClient(server, undefined).get('/users/me')).status).toBe(401);
    expect((await managementClient(server, otherAudience).get('/users/me')).status).toBe(401);
    await server.core.clients.revoke(admin.clientId, { actor: 'test' });
    const revoked = await admin.api.get(`/organizations/${org.id}/credentials`);
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
});

describe('revocation is seen by introspection, on every instance', () => {
  test('a JWT is active for its own organization only, and inactive once its credential is revoked elsewhere', async () => {
    const { org, admin, viewer } = await givenOrganizationWithTeam(server);
    const outsider = await givenOrganizationWithTeam(server);
    const { api } = await givenMachineCredential(server.core);
    const created = await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'worker', role: 'contributor' });
    const token = (await tokenFor(created.body.client_id as string, created.body.client_secret as string, api.identifier)).body.access_token as string;

    const active = await introspect(server, viewer, token);
    expect(active.status).toBe(200);
    expect(active.body).toMatchObject({ active: true, org: org.id, role: 'contributor', sub: created.body.client_id, aud: api.identifier, iss: server.url, token_type: 'access_token' });
    expect((await introspect(server, outsider.admin, token)).body).toEqual({ active: false });
    expect((await introspect(server, { clientId: viewer.clientId, clientSecret: 'wrong' }, token)).status).toBe(401);

    // Another process (the CLI, another instance) revokes it: this instance hears it via NOTIFY.
    const other = await openSecondProcessCore(server.environment);
    try {
      await other.clients.revoke(created.body.client_id as string, { actor: 'cli' });
    } finally {
      await other.close();
    }
    let answer = await introspect(server, viewer, token);
    for (let i = 0; i < 50 && answer.body.active !== false; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      answer = await introspect(server, viewer, token);
    }
    expect(answer.body).toEqual({ active: false });
  });
});
