import { randomBytes } from 'node:crypto';

import { auditEventsOf, givenOrganizationWithTeam } from '../support/management.js';
import { useTessera } from '../support/tessera.js';

const server = useTessera();

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

    // Every membership event names the caller and the address the call came from.
    const events = (await auditEventsOf(server.core, org.id)).filter((event) => event.action.startsWith('membership.'));
    expect(events.map((event) => event.action)).toEqual(['membership.added', 'membership.added', 'membership.role_changed', 'membership.removed']);
    for (const event of events) expect(event).toMatchObject({ actor: `client:${admin.clientId}`, ip: '127.0.0.1' });
  });

  test('two admins demoting each other at the same moment: exactly one succeeds, one admin remains', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const admins = async () => (await server.core.memberships.listForOrg(org.id)).filter((member) => member.role === 'admin');
    /** Two new admin members, and no other. */
    const givenTwoAdmins = async () => {
      const [ada, grace] = [await givenUser(), await givenUser()];
      await admin.api.post(`/organizations/${org.id}/members`, { user_id: ada.id, role: 'admin' });
      await admin.api.post(`/organizations/${org.id}/members`, { user_id: grace.id, role: 'admin' });
      for (const earlier of await admins()) {
        if (earlier.userId !== ada.id && earlier.userId !== grace.id) await server.core.memberships.remove({ orgId: org.id, userId: earlier.userId, actor: 'test' });
      }
      return [ada, grace] as const;
    };

    for (let round = 0; round < 6; round++) {
      const [ada, grace] = await givenTwoAdmins();
      const removing = round % 2 === 1;
      const answers = await Promise.all([
        admin.api.patch(`/organizations/${org.id}/members/${ada.id}`, { role: 'editor' }),
        removing ? admin.api.delete(`/organizations/${org.id}/members/${grace.id}`) : admin.api.patch(`/organizations/${org.id}/members/${grace.id}`, { role: 'viewer' }),
      ]);
      // Either may win the race; the loser is refused, whichever it is.
      const won = answers.filter((answer) => answer.status === 200 || answer.status === 204);
      expect(won).toHaveLength(1);
      expect(answers.filter((answer) => answer.status === 409)).toHaveLength(1);
      expect(answers.find((answer) => answer.status === 409)!.body).toMatchObject({ error: 'conflict', message: 'An organization must keep at least one admin' });
      expect(await admins()).toHaveLength(1);
    }

    // The same rule straight through the domain service (the CLI's path), fired concurrently.
    const [ada, grace] = await givenTwoAdmins();
    const outcomes = await Promise.allSettled([
      server.core.memberships.setRole({ orgId: org.id, userId: ada.id, role: 'viewer', actor: 'test' }),
      server.core.memberships.remove({ orgId: org.id, userId: grace.id, actor: 'test' }),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(outcomes.find((outcome) => outcome.status === 'rejected')).toMatchObject({ reason: { status: 409 } });
    expect(await admins()).toHaveLength(1);
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

  test('a member\'s suspension appears in the trail of every organization they belong to', async () => {
    const first = await givenOrganizationWithTeam(server);
    const second = await givenOrganizationWithTeam(server);
    const bystander = await givenOrganizationWithTeam(server);
    const ada = await givenUser();
    await first.admin.api.post(`/organizations/${first.org.id}/members`, { user_id: ada.id, role: 'editor' });
    await second.admin.api.post(`/organizations/${second.org.id}/members`, { user_id: ada.id, role: 'viewer' });
    await server.core.users.suspend(ada.id, { actor: 'cli' });

    for (const { org, admin } of [first, second]) {
      const trail = await admin.api.get(`/organizations/${org.id}/audit-events`);
      expect(trail.body.data![0]).toMatchObject({ action: 'user.suspended', actor: 'cli', target_type: 'user', target_id: ada.id });
    }
    const elsewhere = await bystander.admin.api.get(`/organizations/${bystander.org.id}/audit-events`);
    expect(elsewhere.body.data!.map((event) => event.action)).not.toContain('user.suspended');
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
