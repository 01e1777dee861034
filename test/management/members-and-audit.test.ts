import { randomBytes } from 'node:crypto';

import { auditEventsOf, givenOrganizationWithTeam } from '../support/management.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;
let server: RunningTessera;

beforeAll(async () => {
  environment = await createEnvironment();
  server = await startTessera(environment);
});

afterAll(async () => {
  await server.stop();
  await environment.cleanup();
});

const givenUser = () =>
  server.core.users.create({ email: `ada-${randomBytes(4).toString('hex')}@example.com`, name: 'Ada', password: 'correct horse battery staple', actor: 'test' });

describe('admins manage members', () => {
  test('add an existing user, change the role, remove; the last admin stays', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const ada = await givenUser();
    const added = await admin.api.post(`/organizations/${org.id}/members`, { user_id: ada.id, role: 'admin' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ user_id: ada.id, email: ada.email, role: 'admin' });
    expect((await admin.api.post(`/organizations/${org.id}/members`, { user_id: ada.id, role: 'viewer' })).status).toBe(409);
    expect((await admin.api.post(`/organizations/${org.id}/members`, { user_id: 'usr_doesnotexist00', role: 'viewer' })).status).toBe(404);

    const list = await admin.api.get(`/organizations/${org.id}/members`);
    expect(list.body.data!.map((member) => member.user_id)).toEqual([ada.id]);

    // Ada is the only admin member: she can be neither demoted nor removed.
    const demote = await admin.api.patch(`/organizations/${org.id}/members/${ada.id}`, { role: 'editor' });
    expect(demote).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect((await admin.api.delete(`/organizations/${org.id}/members/${ada.id}`)).status).toBe(409);
    expect((await server.core.memberships.get(org.id, ada.id)).role).toBe('admin');

    const grace = await givenUser();
    await admin.api.post(`/organizations/${org.id}/members`, { user_id: grace.id, role: 'admin' });
    expect((await admin.api.patch(`/organizations/${org.id}/members/${ada.id}`, { role: 'editor' })).body).toMatchObject({ role: 'editor' });
    expect((await admin.api.delete(`/organizations/${org.id}/members/${ada.id}`)).status).toBe(204);
    expect(await server.core.memberships.find(org.id, ada.id)).toBeUndefined();
    expect((await admin.api.patch(`/organizations/${org.id}/members/${grace.id}`, { role: 'editor', note: 'x' })).status).toBe(422);
  });

  test('editors, contributors, viewers and other organizations get 403 and change nothing', async () => {
    const { org, admin, editor, contributor, viewer } = await givenOrganizationWithTeam(server);
    const outsider = await givenOrganizationWithTeam(server);
    const ada = await givenUser();
    await admin.api.post(`/organizations/${org.id}/members`, { user_id: ada.id, role: 'viewer' });
    for (const caller of [editor, contributor, viewer, outsider.admin]) {
      expect((await caller.api.get(`/organizations/${org.id}/members`)).status).toBe(403);
      expect((await caller.api.post(`/organizations/${org.id}/members`, { user_id: (await givenUser()).id, role: 'admin' })).status).toBe(403);
      expect((await caller.api.patch(`/organizations/${org.id}/members/${ada.id}`, { role: 'admin' })).status).toBe(403);
      expect((await caller.api.delete(`/organizations/${org.id}/members/${ada.id}`)).status).toBe(403);
    }
    expect((await outsider.admin.api.patch(`/organizations/${outsider.org.id}/members/${ada.id}`, { role: 'admin' })).status).toBe(404);
    expect((await server.core.memberships.listForOrg(org.id)).map((member) => [member.userId, member.role])).toEqual([[ada.id, 'viewer']]);
  });
});

describe('the audit trail', () => {
  test('records who did what, from where, newest first, paginated; never a secret; admins only', async () => {
    const { org, admin, editor } = await givenOrganizationWithTeam(server);
    const credential = await admin.api.post(`/organizations/${org.id}/credentials`, { name: 'ci', role: 'viewer' });
    const rotated = await admin.api.post(`/organizations/${org.id}/credentials/${credential.body.client_id as string}/rotate`, {});
    const key = await editor.api.post(`/organizations/${org.id}/api-keys`, { name: 'mine', expires_in_days: 30 });
    await editor.api.delete(`/organizations/${org.id}/api-keys/${key.body.id as string}`);
    await admin.api.delete(`/organizations/${org.id}/credentials/${credential.body.client_id as string}`);

    const first = await admin.api.get(`/organizations/${org.id}/audit-events?limit=3`);
    expect(first.status).toBe(200);
    expect(first.body.data!.map((event) => event.action)).toEqual(['client.revoked', 'api_key.revoked', 'api_key.created']);
    expect(first.body.data![0]).toMatchObject({ actor: `client:${admin.clientId}`, target_type: 'client', target_id: credential.body.client_id, ip: '127.0.0.1', occurred_at: expect.any(String) });
    expect(first.body.data![1]).toMatchObject({ actor: `client:${editor.clientId}`, target_id: key.body.id });
    const rest = await admin.api.get(`/organizations/${org.id}/audit-events?limit=100&cursor=${first.body.next_cursor as string}`);
    expect(rest.body.data!.map((event) => event.action)).toEqual(expect.arrayContaining(['client.secret_rotated', 'client.created']));

    const everything = first.text + rest.text + JSON.stringify(await auditEventsOf(server.core, org.id));
    for (const secret of [credential.body.client_secret, rotated.body.client_secret, key.body.key, (key.body.key as string).split('.')[1]]) {
      expect(everything).not.toContain(secret as string);
    }
    expect((await editor.api.get(`/organizations/${org.id}/audit-events`)).status).toBe(403);
    expect((await admin.api.get(`/organizations/${org.id}/audit-events?cursor=abc`)).status).toBe(422);
  });
});

describe('users/me', () => {
  test('permissions follow the caller\'s role (seed 000\'s shape)', async () => {
    const { org, editor, admin } = await givenOrganizationWithTeam(server);
    const mine = await editor.api.get('/users/me/permissions');
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({
      user_id: editor.clientId,
      organization_id: org.id,
      role: 'editor',
      permissions: {
        api_keys: { create: true, read_own: true, read_all: false, revoke_own: true, revoke_all: false },
        users: { read: true, invite: false, manage_roles: false },
        credentials: { read: true, manage: false },
      },
    });
    expect((await admin.api.get('/users/me/permissions')).body).toMatchObject({ permissions: { api_keys: { read_all: true, revoke_all: true }, members: { manage: true } } });
  });

  test('unknown paths and methods answer in the management error shape', async () => {
    const { admin } = await givenOrganizationWithTeam(server);
    expect(await admin.api.get('/nothing-here')).toMatchObject({ status: 404, body: { error: 'not_found', status: 404 } });
    expect(await admin.api.patch('/users/me', {})).toMatchObject({ status: 405, body: { error: 'method_not_allowed', status: 405 } });
  });
});
