import { givenMachineCredential } from '../support/factories.js';
import { exchangeApiKey, givenOrganizationWithTeam, introspect, managementClient } from '../support/management.js';
import { decodeJwt } from '../support/oauth.js';
import { createResourceServer } from '../support/resource-server.js';
import { useTessera } from '../support/tessera.js';

const server = useTessera();

describe('an API key at a resource server', () => {
  test('is exchanged (RFC 8693) for a short-lived JWT that jsonwebtoken + jwks-rsa verify, with the key\'s org and role', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const { api } = await givenMachineCredential(server.core);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'mcp', role: 'contributor', expires_in_days: 30 });

    const exchanged = await exchangeApiKey(server, created.body.key as string, { audience: api.identifier });
    expect(exchanged.status).toBe(200);
    expect(exchanged.headers.get('cache-control')).toBe('no-store');
    expect(exchanged.body).toMatchObject({ token_type: 'Bearer', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', expires_in: 3600 });
    const claims = await createResourceServer(server.url, api.identifier).verify(exchanged.body.access_token as string);
    expect(claims).toMatchObject({ iss: server.url, aud: api.identifier, sub: admin.clientId, org: org.id, role: 'contributor', key_id: created.body.id });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(decodeJwt(exchanged.body.access_token as string).header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: server.core.signingKeys.activeKid() });

    // Introspection follows the key: active now, inactive once the key is revoked.
    const resourceServer = admin; // any machine credential of the same organization
    expect((await introspect(server, resourceServer, exchanged.body.access_token as string)).body).toMatchObject({ active: true, org: org.id, role: 'contributor' });
    await admin.api.delete(`/organizations/${org.id}/api-keys/${created.body.id as string}`);
    expect((await introspect(server, resourceServer, exchanged.body.access_token as string)).body).toEqual({ active: false });
    const again = await exchangeApiKey(server, created.body.key as string, { audience: api.identifier });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: 'the API key is invalid' });
  });

  test('an exchanged token for the management audience works on the management API with the key\'s role', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'ro', role: 'viewer', expires_in_days: 30 });
    const exchanged = await exchangeApiKey(server, created.body.key as string, { audience: `${server.url}/api/v1` });
    const asToken = managementClient(server, exchanged.body.access_token as string);
    expect((await asToken.get('/users/me')).body).toMatchObject({ role: 'viewer', organization_id: org.id });
    expect((await asToken.post(`/organizations/${org.id}/credentials`, { name: 'x', role: 'viewer' })).status).toBe(403);
  });

  test('refused with one answer for unknown, out-of-range and malformed keys; bad requests are 400', async () => {
    const { org, admin } = await givenOrganizationWithTeam(server);
    const { api } = await givenMachineCredential(server.core);
    const office = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'office', expires_in_days: 30, allowed_ips: ['10.0.0.0/8'] });
    for (const key of [office.body.key as string, 'tsr_key_AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(49), 'nope']) {
      const answer = await exchangeApiKey(server, key, { audience: api.identifier }, { 'x-forwarded-for': '10.0.0.1' });
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'the API key is invalid' });
    }
    const good = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'ok', expires_in_days: 30 });
    expect((await exchangeApiKey(server, good.body.key as string, { audience: 'https://unknown.example.com' })).body).toMatchObject({ error: 'invalid_target' });
    expect((await exchangeApiKey(server, good.body.key as string, { audience: api.identifier, subject_token_type: 'urn:ietf:params:oauth:token-type:jwt' })).body).toMatchObject({ error: 'invalid_request' });
    expect((await exchangeApiKey(server, good.body.key as string, { audience: api.identifier, scope: 'admin:everything' })).body).toMatchObject({ error: 'invalid_scope' });
  });

  test('is introspected with org, role, sub (owner), exp and key_id — for its own organization only', async () => {
    const { org, admin, viewer } = await givenOrganizationWithTeam(server);
    const outsider = await givenOrganizationWithTeam(server);
    const created = await admin.api.post(`/organizations/${org.id}/api-keys`, { name: 'sync', role: 'editor', expires_in_days: 60 });
    const answer = await introspect(server, viewer, created.body.key as string);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      active: true,
      token_type: 'api_key',
      key_id: created.body.id,
      sub: admin.clientId,
      org: org.id,
      role: 'editor',
      iat: Math.floor(new Date(created.body.created_at as string).getTime() / 1000),
      exp: Math.floor(new Date(created.body.expires_at as string).getTime() / 1000),
    });
    expect((await introspect(server, outsider.admin, created.body.key as string)).body).toEqual({ active: false });
    await admin.api.delete(`/organizations/${org.id}/api-keys/${created.body.id as string}`);
    expect((await introspect(server, viewer, created.body.key as string)).body).toEqual({ active: false });
  });
});
