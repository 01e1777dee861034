import { givenMachineCredential } from '../support/factories.js';
import { basicAuth, decodeJwt, postForm, postJson } from '../support/oauth.js';
import { createResourceServer } from '../support/resource-server.js';
import { useTessera } from '../support/tessera.js';

const server = useTessera();
const tokenUrl = () => `${server.url}/oauth/token`;

describe('a machine client asks for a token (seed 001)', () => {
  test('with a JSON body and an Auth0-style audience, and the token verifies at the resource server', async () => {
    const { api, org, clientId, clientSecret } = await givenMachineCredential(server.core, { role: 'editor' });

    const response = await postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' });

    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
    const claims = await createResourceServer(server.url, api.identifier).verify(response.body.access_token as string);
    expect(claims).toMatchObject({ iss: server.url, sub: clientId, aud: api.identifier, client_id: clientId, org: org.id, role: 'editor', scope: '' });
    expect(Object.keys(claims)).toEqual(expect.arrayContaining(['iss', 'sub', 'aud', 'iat', 'exp', 'jti', 'client_id', 'scope', 'org', 'role']));
    expect(claims.exp! - claims.iat!).toBe(86400);
    expect(decodeJwt(response.body.access_token as string).header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: server.core.signingKeys.activeKid() });
  });

  test('with a form body and client_secret_post', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core, { role: 'viewer' });
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, audience: api.identifier });
    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.access_token as string).payload).toMatchObject({ sub: clientId, role: 'viewer', aud: api.identifier });
  });

  test('with HTTP Basic authentication and an RFC 8707 resource, form and JSON', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const form = await postForm(tokenUrl(), { grant_type: 'client_credentials', resource: api.identifier }, { authorization: basicAuth(clientId, clientSecret) });
    const json = await postJson(tokenUrl(), { grant_type: 'client_credentials', resource: api.identifier }, { authorization: basicAuth(clientId, clientSecret) });
    for (const response of [form, json]) {
      expect(response.status).toBe(200);
      await expect(createResourceServer(server.url, api.identifier).verify(response.body.access_token as string)).resolves.toMatchObject({ sub: clientId });
    }
  });

  test('an API with its own token lifetime and scopes issues tokens with both', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core, { tokenLifetimeSeconds: 600, scopes: ['read:projects', 'write:projects'] });
    const all = await postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' });
    expect(all.body).toMatchObject({ expires_in: 600, scope: 'read:projects write:projects' });
    const some = await postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials', scope: 'read:projects' });
    expect(decodeJwt(some.body.access_token as string).payload).toMatchObject({ scope: 'read:projects' });
    const payload = decodeJwt(all.body.access_token as string).payload;
    expect((payload.exp as number) - (payload.iat as number)).toBe(600);
  });

  test('records when the credential was last used, without a write per request', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    expect((await server.core.clients.get(clientId)).lastUsedAt).toBeNull();
    await postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' });
    expect((await server.core.clients.get(clientId)).lastUsedAt).toBeNull();
    await server.core.clients.flushUsage();
    expect((await server.core.clients.get(clientId)).lastUsedAt).toBeInstanceOf(Date);
  });
});

describe('a machine client is refused with the documented error', () => {
  test('wrong secret: 401 invalid_client, with WWW-Authenticate for Basic', async () => {
    const { api, clientId } = await givenMachineCredential(server.core);
    const post = await postJson(tokenUrl(), { client_id: clientId, client_secret: 'not-the-secret', audience: api.identifier, grant_type: 'client_credentials' });
    expect(post.status).toBe(401);
    expect(post.body).toMatchObject({ error: 'invalid_client' });
    const basic = await postForm(tokenUrl(), { grant_type: 'client_credentials', audience: api.identifier }, { authorization: basicAuth(clientId, 'not-the-secret') });
    expect(basic.status).toBe(401);
    expect(basic.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  test('the stored digest is not accepted as a secret', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(clientSecret).digest('hex');
    const response = await postJson(tokenUrl(), { client_id: clientId, client_secret: digest, audience: api.identifier, grant_type: 'client_credentials' });
    expect(response.status).toBe(401);
  });

  test('unknown client: 401 invalid_client', async () => {
    const { api } = await givenMachineCredential(server.core);
    const response = await postJson(tokenUrl(), { client_id: 'cred_doesnotexist000000', client_secret: 'x', audience: api.identifier, grant_type: 'client_credentials' });
    expect(response.status).toBe(401);
    expect(response.body.error).toBe('invalid_client');
  });

  test('unknown audience: 400 invalid_target; no audience: 400 invalid_request', async () => {
    const { clientId, clientSecret } = await givenMachineCredential(server.core);
    const unknown = await postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, audience: 'https://unknown.example.com', grant_type: 'client_credentials' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe('invalid_target');
    const missing = await postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials' });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
  });

  test('audience and resource naming two different APIs: 400 invalid_request; naming the same one: a token for it', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const other = await givenMachineCredential(server.core);
    const both = { client_id: clientId, client_secret: clientSecret, grant_type: 'client_credentials', audience: api.identifier };
    const conflicting = await postForm(tokenUrl(), { ...both, resource: other.api.identifier });
    expect(conflicting.status).toBe(400);
    expect(conflicting.body).toMatchObject({ error: 'invalid_request', error_description: 'audience and resource name different APIs' });
    const agreeing = await postJson(tokenUrl(), { ...both, resource: api.identifier });
    expect(agreeing.status).toBe(200);
    expect(decodeJwt(agreeing.body.access_token as string).payload).toMatchObject({ aud: api.identifier });
  });

  test('a revoked credential: 401 invalid_client at once, though it worked a moment before', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const request = { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' };
    expect((await postJson(tokenUrl(), request)).status).toBe(200);
    await server.core.clients.revoke(clientId, { actor: 'test' });
    const after = await postJson(tokenUrl(), request);
    expect(after.status).toBe(401);
    expect(after.body.error).toBe('invalid_client');
  });

  test('a rotated secret: the old one works during the grace period only, the new one at once', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const ask = (secret: string) => postJson(tokenUrl(), { client_id: clientId, client_secret: secret, audience: api.identifier, grant_type: 'client_credentials' });
    const { secret: withGrace } = await server.core.clients.rotateSecret(clientId, { gracePeriodSeconds: 3600, actor: 'test' });
    expect((await ask(clientSecret)).status).toBe(200);
    expect((await ask(withGrace)).status).toBe(200);
    const { secret: without } = await server.core.clients.rotateSecret(clientId, { actor: 'test' });
    expect((await ask(withGrace)).status).toBe(401);
    expect((await ask(clientSecret)).status).toBe(401);
    expect((await ask(without)).status).toBe(200);
  });
});

describe('bad input gets a 4xx in the OAuth shape, never a 500', () => {
  const cases: Array<[string, () => Promise<{ status: number; body: Record<string, unknown> }>]> = [
    ['malformed JSON', () => postJson(tokenUrl(), '{"grant_type": "client_credentials"')],
    ['a JSON array', () => postJson(tokenUrl(), '[1,2,3]')],
    ['a JSON string', () => postJson(tokenUrl(), '"client_credentials"')],
    ['a nested object', () => postJson(tokenUrl(), { grant_type: { a: 1 } })],
    ['a duplicated JSON key', () => postJson(tokenUrl(), '{"client_id":"a","client_id":"b","grant_type":"client_credentials"}')],
    ['a duplicated form parameter', () => postForm(tokenUrl(), 'grant_type=client_credentials&client_id=a&client_id=b')],
    ['a body over the size limit', () => postJson(tokenUrl(), { grant_type: 'client_credentials', padding: 'x'.repeat(64 * 1024) })],
    ['a client_id with control characters', () => postJson(tokenUrl(), { client_id: 'cred_\u0000\u0007abc', client_secret: 'x', grant_type: 'client_credentials' })],
    ['a 10 000-character client_id', () => postJson(tokenUrl(), { client_id: 'a'.repeat(10_000), client_secret: 'x', grant_type: 'client_credentials' })],
    ['a text/plain body', () => fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }))],
  ];

  test.each(cases)('%s', async (_name, send) => {
    const response = await send();
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
  });

  test('a Basic header naming a 10 000-character client id', async () => {
    const response = await postForm(tokenUrl(), { grant_type: 'client_credentials' }, { authorization: basicAuth('a'.repeat(10_000), 'x') });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});

describe('a tenant with hundreds of machine credentials in use', () => {
  test('each credential keeps the client model oidc-provider built for it, instead of a rebuild per token request', async () => {
    const { api, org, clientId, clientSecret } = await givenMachineCredential(server.core);
    const others = [];
    for (let i = 0; i < 250; i += 1) {
      others.push(await server.core.clients.create({ orgId: org.id, name: `Worker ${i}`, type: 'm2m', role: 'viewer', actor: 'test' }));
    }
    const { Client } = server.tessera.provider;
    const modelBefore = await Client.find(clientId);

    // oidc-provider's own cache holds 100 models; 250 other credentials in use would push this one out.
    for (const { client } of others) await Client.find(client.id);
    // Re-read the unchanged record, as the cache's periodic backstop does: a new record object,
    // so the model must come from oidc-provider's cache rather than the one remembered per record.
    await server.core.changes.publish('client', clientId);
    const response = await postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' });

    expect(response.status).toBe(200);
    expect(await Client.find(clientId)).toBe(modelBefore);
  });

  test('repeat token requests reuse the model without re-reading and re-hashing its metadata; a rotation is read at once', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const ask = (secret: string) => postJson(tokenUrl(), { client_id: clientId, client_secret: secret, audience: api.identifier, grant_type: 'client_credentials' });
    expect((await ask(clientSecret)).status).toBe(200);
    const storedMetadata = (server.tessera.provider.Client as unknown as { adapter: { find(id: string): Promise<unknown> } }).adapter;
    const find = storedMetadata.find;
    const reads: string[] = [];
    storedMetadata.find = (id: string) => {
      reads.push(id);
      return find.call(storedMetadata, id);
    };
    try {
      for (let i = 0; i < 3; i += 1) expect((await ask(clientSecret)).status).toBe(200);
      expect(reads.filter((id) => id === clientId)).toHaveLength(0);

      const { secret } = await server.core.clients.rotateSecret(clientId, { gracePeriodSeconds: 0, actor: 'test' });
      expect((await ask(secret)).status).toBe(200);
      expect((await ask(clientSecret)).status).toBe(401);
      expect(reads.filter((id) => id === clientId).length).toBeGreaterThan(0);
    } finally {
      storedMetadata.find = find;
    }
  });
});

describe('a credential changed behind Tessera\'s back (no change notification)', () => {
  test('is refused once the cache refresh interval has passed', async () => {
    const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
    const ask = () => postJson(tokenUrl(), { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' });
    expect((await ask()).status).toBe(200);

    await server.core.storage.db.updateTable('clients').set({ revoked_at: new Date() }).where('id', '=', clientId).execute();
    const refreshMs = server.config.KEY_REFRESH_INTERVAL * 1000;
    await new Promise((resolve) => setTimeout(resolve, refreshMs + 100));
    await ask(); // finds the entry old: answered from it, and the re-read starts
    await new Promise((resolve) => setTimeout(resolve, 200));

    const response = await ask();
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: 'invalid_client' });
  });
});
