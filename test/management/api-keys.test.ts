import { parseApiKey } from '../../src/credentials/api-key-format.js';
import { auditEventsOf, expireApiKey, givenCaller, givenOrganizationWithTeam, managementClient } from '../support/management.js';
import { startTessera, useTessera } from '../support/tessera.js';

const server = useTessera();

const UNAUTHORIZED = { error: 'unauthorized', message: 'Invalid or missing authentication token', status: 401 };

describe('an admin issues an API key (seeds 000, 002, 003)', () => {
  test('the key is shown once, in the documented format, and works as a bearer', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, {
      name: 'Claude Desktop - MacBook Pro',
      role: 'editor',
      expires_in_days: 90,
      description: 'MCP client for local development',
    });

    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const key = created.body.key as string;
    expect(key).toMatch(/^tsr_key_[0-9A-Za-z]{22}\.[0-9A-Za-z]{49}$/);
    expect(parseApiKey(key)).toMatchObject({ prefix: 'tsr', keyId: created.body.id });
    expect(created.body).toMatchObject({ name: 'Claude Desktop - MacBook Pro', role: 'editor', status: 'active', organization_id: org.id, owner: admin.clientId });
    const expires = new Date(created.body.expires_at as string).getTime() - new Date(created.body.created_at as string).getTime();
    expect(expires).toBe(90 * 86_400_000);

    const asKey = managementClient(server, key);
    const me = await asKey.get('/users/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ organization_id: org.id, role: 'editor', via: { type: 'api_key', id: created.body.id } });

    const list = await admin.api.get(`/organizations/${org.id}/api-keys`);
    expect(list.status).toBe(200);
    expect(list.body.data!.map((item) => item.id)).toContain(created.body.id);
    const secretPart = key.slice(key.indexOf('.') + 1);
    for (const text of [list.text, (await admin.api.get(`/organizations/${org.id}/api-keys/${created.body.id as string}`)).text]) {
      expect(text).not.toContain(secretPart);
      expect(text).not.toMatch(/digest|"key"/);
    }
    // Secrets are never recorded: not the key, not its secret part, not its digest.
    const audit = JSON.stringify(await auditEventsOf(server.core, org.id));
    expect(audit).toContain('api_key.created');
    expect(audit).not.toContain(secretPart);
    const row = await server.core.storage.db.selectFrom('api_keys').selectAll().where('id', '=', created.body.id as string).executeTakeFirstOrThrow();
    expect(row.secret_digest).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(secretPart);
    expect(audit).not.toContain(row.secret_digest);
  });

  test('last use is recorded, coalesced rather than written per request', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'sync', expires_in_days: 30 });
    const asKey = managementClient(server, created.body.key as string);
    for (let i = 0; i < 3; i++) expect((await asKey.get('/users/me')).status).toBe(200);
    expect((await server.core.apiKeys.get(created.body.id as string)).lastUsedAt).toBeNull();
    await server.core.apiKeys.flushUsage();
    const listed = await admin.api.get(`/organizations/${org.id}/api-keys`);
    expect(listed.body.data!.find((item) => item.id === created.body.id)!.last_used_at).toEqual(expect.any(String));
  });

  test('invalid bodies answer 422 with one error per field, and unknown fields are rejected', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const bad = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: '', expires_in_days: 45, allowed_ips: ['10.0.0.0/33'], owner: 'someone-else' });
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ error: 'validation_failed', message: expect.any(String), status: 422 });
    const fields = bad.body.errors!.map((error) => error.field).sort();
    expect(fields).toEqual(expect.arrayContaining(['name', 'expires_in_days', 'allowed_ips.0', 'owner']));
    const notJson = await admin.api.post(`/organizations/${org.id}/api-keys`, '{"name": ');
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatchObject({ error: 'bad_request', status: 400 });
    const badCursor = await admin.api.get(`/organizations/${org.id}/api-keys?cursor=nonsense`);
    expect(badCursor.status).toBe(422);
    const unknownQuery = await admin.api.get(`/organizations/${org.id}/api-keys?sort=name`);
    expect(unknownQuery.status).toBe(422);
    expect((await server.core.apiKeys.list(org.id, { limit: 10 })).length).toBe(0);
  });

  test('lists are keyset-paginated with limit and cursor', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    for (let i = 0; i < 5; i++) await admin.api.post(`/organizations/${org.id}/api-keys`, { name: `key ${i}`, expires_in_days: 30 });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await admin.api.get(`/organizations/${org.id}/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.data!.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.data!.map((item) => item.name as string));
      cursor = page.body.next_cursor as string | null;
    } while (cursor);
    // Every key exactly once across pages (ties in created_at are broken by id).
    expect(seen.sort()).toEqual(['key 0', 'key 1', 'key 2', 'key 3', 'key 4']);
  });
});

describe('a key stops working, and every refusal looks like an unknown key', () => {
  test('revoked (soft delete: kept for the audit trail)', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'ci', expires_in_days: 30 });
    const asKey = managementClient(server, created.body.key as string);
    expect((await asKey.get('/users/me')).status).toBe(200);

    expect((await admin.api.delete(`/organizations/${org.id}/api-keys/${created.body.id as string}`)).status).toBe(204);
    const after = await asKey.get('/users/me');
    expect(after.status).toBe(401);
    expect(after.body).toEqual(UNAUTHORIZED);
    expect((await admin.api.get(`/organizations/${org.id}/api-keys`)).body.data).toEqual([]);
    expect((await server.core.apiKeys.get(created.body.id as string)).status).toBe('revoked');
    const actions = (await auditEventsOf(server.core, org.id)).map((event) => event.action);
    expect(actions).toEqual(expect.arrayContaining(['api_key.created', 'api_key.revoked', 'api_key.auth_failed']));
  });

  test('unknown, malformed and checksum-broken keys', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'ci', expires_in_days: 30 });
    const key = created.body.key as string;
    const wrongSecret = key.slice(0, key.indexOf('.') + 1) + 'A'.repeat(key.length - key.indexOf('.') - 1);
    for (const bearer of ['tsr_key_AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(49), wrongSecret, key.slice(0, -1) + (key.endsWith('a') ? 'b' : 'a'), 'garbage', undefined]) {
      const answer = await managementClient(server, bearer).get('/users/me');
      expect(answer.status).toBe(401);
      expect(answer.body).toEqual(UNAUTHORIZED);
    }
  });

  test('expired', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'ci', expires_in_days: 30 });
    const asKey = managementClient(server, created.body.key as string);
    expect((await asKey.get('/users/me')).status).toBe(200);
    await expireApiKey(server.core, created.body.id as string);
    const answer = await asKey.get('/users/me');
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual(UNAUTHORIZED);
    const listed = await admin.api.get(`/organizations/${org.id}/api-keys`);
    expect(listed.body.data!.find((item) => item.id === created.body.id)).toMatchObject({ status: 'expired' });
  });

  test('used from outside its allowed addresses, even with a spoofed X-Forwarded-For (no trusted proxy)', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const elsewhere = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'office only', expires_in_days: 30, allowed_ips: ['10.0.0.0/8'] });
    const here = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'this host', expires_in_days: 30, allowed_ips: ['127.0.0.1'] });
    expect(here.body.allowed_ips).toEqual(['127.0.0.1/32']);

    const refused = await managementClient(server, elsewhere.body.key as string).get('/users/me');
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual(UNAUTHORIZED);
    const spoofed = await managementClient(server, elsewhere.body.key as string, { 'x-forwarded-for': '10.1.2.3' }).get('/users/me');
    expect(spoofed.status).toBe(401);
    expect((await managementClient(server, here.body.key as string).get('/users/me')).status).toBe(200);
    const failure = (await auditEventsOf(server.core, org.id)).find((event) => event.action === 'api_key.auth_failed');
    expect(failure).toMatchObject({ target_id: elsewhere.body.id, ip: '127.0.0.1', details: { reason: 'ip_not_allowed' } });
  });

  test('behind a trusted proxy, the forwarded address is the one checked', async () => {
    const proxied = await startTessera(server.environment, { TRUSTED_PROXIES: '127.0.0.1' });
    try {
      const { org, admin } = await givenOrganizationWithTeam(proxied);
      const office = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'office only', expires_in_days: 30, allowed_ips: ['10.0.0.0/8'] });
      expect((await managementClient(proxied, office.body.key as string, { 'x-forwarded-for': '10.1.2.3' }).get('/users/me')).status).toBe(200);
      expect((await managementClient(proxied, office.body.key as string, { 'x-forwarded-for': '192.0.2.1' }).get('/users/me')).status).toBe(401);
    } finally {
      await proxied.stop();
    }
  });

  test('rotated: the new key works at once and the old one never again', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'ci', expires_in_days: 60, allowed_ips: ['127.0.0.1/32'] });
    const rotated = await admin.api.post(`/organizations/${org.id}/api-keys/${created.body.id as string}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body).toMatchObject({ name: 'ci', allowed_ips: ['127.0.0.1/32'], status: 'active' });
    expect(rotated.body.id).not.toBe(created.body.id);
    expect(rotated.body.key).not.toBe(created.body.key);
    expect((await managementClient(server, created.body.key as string).get('/users/me')).status).toBe(401);
    expect((await managementClient(server, rotated.body.key as string).get('/users/me')).status).toBe(200);
    expect(JSON.stringify(await auditEventsOf(server.core, org.id))).not.toContain((rotated.body.key as string).split('.')[1]);
  });
});

describe('who may manage which keys (seed 000: own keys for contributors and editors, all for admins)', () => {
  test('contributors and editors see and revoke only their own; viewers cannot create', async () => {
    const { org, admin, editor, contributor, viewer } = await givenOrganizationWithTeam(server);
    const adminKey = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'admin key', expires_in_days: 30 });
    const editorKey = await editor.api.post(`/organizations/${org.id}/api-keys`, { name: 'editor key', expires_in_days: 30 });
    const contributorKey = await contributor.api.post(`/organizations/${org.id}/api-keys`, { name: 'contributor key', expires_in_days: 30 });
    expect([adminKey.status, editorKey.status, contributorKey.status]).toEqual([201, 201, 201]);
    expect(editorKey.body.role).toBe('editor'); // defaults to the caller's role

    expect((await viewer.api.post(`/organizations/${org.id}/api-keys`, { name: 'viewer key', expires_in_days: 30 })).status).toBe(403);
    expect((await viewer.api.get(`/organizations/${org.id}/api-keys`)).status).toBe(403);
    // No escalation through a key stronger than its creator.
    const escalate = await contributor.api.post(`/organizations/${org.id}/api-keys`, { name: 'sneaky', role: 'admin', expires_in_days: 30 });
    expect(escalate.status).toBe(403);

    const editorList = await editor.api.get(`/organizations/${org.id}/api-keys`);
    expect(editorList.body.data!.map((item) => item.name)).toEqual(['editor key']);
    const adminList = await admin.api.get(`/organizations/${org.id}/api-keys`);
    expect(adminList.body.data!.map((item) => item.name).sort()).toEqual(['admin key', 'contributor key', 'editor key']);

    // Someone else's key is a 404 for a contributor, and stays working.
    for (const attempt of [
      await contributor.api.delete(`/organizations/${org.id}/api-keys/${adminKey.body.id as string}`),
      await contributor.api.post(`/organizations/${org.id}/api-keys/${editorKey.body.id as string}/rotate`),
      await contributor.api.get(`/organizations/${org.id}/api-keys/${adminKey.body.id as string}`),
    ]) {
      expect(attempt.status).toBe(404);
      expect(attempt.body).toMatchObject({ error: 'not_found', status: 404 });
    }
    expect((await managementClient(server, adminKey.body.key as string).get('/users/me')).status).toBe(200);
    expect((await managementClient(server, editorKey.body.key as string).get('/users/me')).status).toBe(200);

    expect((await contributor.api.delete(`/organizations/${org.id}/api-keys/${contributorKey.body.id as string}`)).status).toBe(204);
    expect((await admin.api.delete(`/organizations/${org.id}/api-keys/${editorKey.body.id as string}`)).status).toBe(204);
    expect((await managementClient(server, editorKey.body.key as string).get('/users/me')).status).toBe(401);
  });

  test('another organization\'s admin gets 403 on our paths and 404 on our keys, and changes nothing', async () => {
    const ours = await givenOrganizationWithTeam(server);
    const theirs = await givenOrganizationWithTeam(server);
    const key = await ours.admin.api.post(`/organizations/${ours.org.id}/api-keys`, { name: 'ours', expires_in_days: 30 });
    const before = await server.core.apiKeys.list(ours.org.id, { limit: 100 });

    const attempts = [
      await theirs.admin.api.get(`/organizations/${ours.org.id}/api-keys`),
      await theirs.admin.api.post(`/organizations/${ours.org.id}/api-keys`, { name: 'planted', expires_in_days: 30 }),
      await theirs.admin.api.delete(`/organizations/${ours.org.id}/api-keys/${key.body.id as string}`),
      await theirs.admin.api.post(`/organizations/${ours.org.id}/api-keys/${key.body.id as string}/rotate`),
    ];
    for (const attempt of attempts) expect(attempt.status).toBe(403);
    const viaOwnPath = await theirs.admin.api.delete(`/organizations/${theirs.org.id}/api-keys/${key.body.id as string}`);
    expect(viaOwnPath.status).toBe(404);

    expect(await server.core.apiKeys.list(ours.org.id, { limit: 100 })).toEqual(before);
    expect((await managementClient(server, key.body.key as string).get('/users/me')).status).toBe(200);
    // An API key of one organization is no way into another either.
    const asOurKey = managementClient(server, key.body.key as string);
    expect((await asOurKey.get(`/organizations/${theirs.org.id}/api-keys`)).status).toBe(403);
  });

  test('an API key acts with its own role: a viewer key cannot manage keys', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const viewerKey = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'read only', role: 'viewer', expires_in_days: 30 });
    const asViewerKey = managementClient(server, viewerKey.body.key as string);
    expect((await asViewerKey.post(`/organizations/${org.id}/api-keys`, { name: 'x', expires_in_days: 30 })).status).toBe(403);
    expect((await asViewerKey.get(`/organizations/${org.id}/credentials`)).status).toBe(200);
    const adminCaller = await givenCaller(server, org.id, 'admin');
    expect((await adminCaller.api.get(`/organizations/${org.id}/api-keys`)).body.data!.length).toBe(1);
  });
});
