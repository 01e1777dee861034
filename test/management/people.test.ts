import { givenOrganizationWithTeam, managementClient } from '../support/management.js';
import { authorizationRequest, givenApplication, givenPerson, redeem, relyingParty } from '../support/people.js';
import { useTessera } from '../support/tessera.js';
import { UserAgent, textOf } from '../support/user-agent.js';

/**
 * A person (not a machine credential) calling the management API with the access token an
 * application obtained for them through the authorization-code flow, for `<ISSUER>/api/v1`.
 */
const tessera = useTessera();

async function signInForManagement(person: { email: string; password: string }, orgId: string, param: 'audience' | 'resource' = 'audience') {
  const app = await givenApplication(tessera.core);
  const rp = await relyingParty(tessera.url, app);
  const pending = await authorizationRequest(rp, { [param]: `${tessera.url}/api/v1`, organization: orgId });
  const browser = new UserAgent(tessera.url);
  const callback = await browser.signIn(await browser.open(pending.url), person.email, person.password);
  if (callback.kind !== 'left') throw new Error(textOf(callback));
  const tokens = await redeem(rp, callback.location, pending);
  return managementClient(tessera, tokens.access_token);
}

describe('people signed in through an application', () => {
  test('act with the role they hold in the organization: an admin creates a credential, a viewer gets 403', async () => {
    const admin = await givenPerson(tessera.core, { roles: ['admin'] });
    const org = admin.org;
    const viewer = await givenPerson(tessera.core, { roles: [] });
    await tessera.core.memberships.add({ orgId: org.id, userId: viewer.user.id, role: 'viewer', actor: 'test' });

    const asAdmin = await signInForManagement(admin, org.id);
    const asViewer = await signInForManagement(viewer, org.id, 'resource');

    expect(await asAdmin.get('/users/me')).toMatchObject({ status: 200, body: { id: admin.user.id, type: 'user', organization_id: org.id, role: 'admin', via: null } });
    expect(await asViewer.get('/users/me/permissions')).toMatchObject({ status: 200, body: { user_id: viewer.user.id, role: 'viewer' } });

    const created = await asAdmin.post(`/organizations/${org.id}/credentials`, { name: 'nightly sync', role: 'viewer' });
    expect(created).toMatchObject({ status: 201, body: { client_id: expect.any(String), client_secret: expect.any(String) } });
    const refused = await asViewer.post(`/organizations/${org.id}/credentials`, { name: 'sneaky', role: 'admin' });
    expect(refused).toMatchObject({ status: 403, body: { error: 'forbidden', status: 403 } });
    // The viewer still reads, and only the admin's credential exists.
    const list = await asViewer.get(`/organizations/${org.id}/credentials`);
    expect(list.status).toBe(200);
    expect(list.body.data!.map((credential) => credential.name)).toEqual(['nightly sync']);

    const audit = await asAdmin.get(`/organizations/${org.id}/audit-events`);
    expect(audit.body.data!.find((event) => event.action === 'client.created')).toMatchObject({ actor: `user:${admin.user.id}`, ip: '127.0.0.1' });
    expect((await asViewer.get(`/organizations/${org.id}/audit-events`)).status).toBe(403);
  });

  test('another organization\'s paths answer 403 and change nothing', async () => {
    const admin = await givenPerson(tessera.core, { roles: ['admin'] });
    const other = await givenOrganizationWithTeam(tessera);
    const asAdmin = await signInForManagement(admin, admin.org.id);

    expect((await asAdmin.get(`/organizations/${other.org.id}/credentials`)).status).toBe(403);
    expect((await asAdmin.post(`/organizations/${other.org.id}/credentials`, { name: 'intruder', role: 'admin' })).status).toBe(403);
    expect((await asAdmin.post(`/organizations/${other.org.id}/api-keys`, { name: 'intruder', expires_in_days: 30 })).status).toBe(403);
    expect((await asAdmin.get(`/organizations/${other.org.id}/members`)).status).toBe(403);
    expect((await asAdmin.get(`/organizations/${other.org.id}/audit-events`)).status).toBe(403);
    const names = (await tessera.core.clients.list(other.org.id, { limit: 100 })).map((client) => client.name);
    expect(names).not.toContain('intruder');
    expect(await tessera.core.apiKeys.list(other.org.id, { limit: 100 })).toEqual([]);
  });

  test('a token for the application (no management audience) is refused with 401', async () => {
    const admin = await givenPerson(tessera.core, { roles: ['admin'] });
    const app = await givenApplication(tessera.core);
    const rp = await relyingParty(tessera.url, app);
    const pending = await authorizationRequest(rp, { organization: admin.org.id });
    const browser = new UserAgent(tessera.url);
    const callback = await browser.signIn(await browser.open(pending.url), admin.email, admin.password);
    if (callback.kind !== 'left') throw new Error(textOf(callback));
    const tokens = await redeem(rp, callback.location, pending);
    expect((await managementClient(tessera, tokens.access_token).get('/users/me')).status).toBe(401);
  });
});
