import { givenMachineCredential } from '../support/factories.js';
import { decodeJwt, postJson } from '../support/oauth.js';
import { createResourceServer } from '../support/resource-server.js';
import { openSecondProcessCore, useTessera } from '../support/tessera.js';

const server = useTessera();

async function tokenFor(credential: Awaited<ReturnType<typeof givenMachineCredential>>) {
  const response = await postJson(`${server.url}/oauth/token`, {
    client_id: credential.clientId,
    client_secret: credential.clientSecret,
    audience: credential.api.identifier,
    grant_type: 'client_credentials',
  });
  expect(response.status).toBe(200);
  return response.body.access_token as string;
}

const waitFor = async (condition: () => Promise<boolean>, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

test('JWKS publishes public keys only, with kid, use, alg, Cache-Control and an ETag that answers 304', async () => {
  const response = await fetch(`${server.url}/.well-known/jwks.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toMatch(/max-age=\d+/);
  const etag = response.headers.get('etag')!;
  expect(etag).toBeTruthy();
  const { keys } = (await response.json()) as { keys: Array<Record<string, string>> };
  expect(keys.length).toBeGreaterThan(0);
  for (const key of keys) {
    expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', kid: expect.any(String) });
    for (const privatePart of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key).not.toHaveProperty(privatePart);
    expect(Buffer.from(key.n!, 'base64url').length * 8).toBeGreaterThanOrEqual(2048);
  }
  const again = await fetch(`${server.url}/.well-known/jwks.json`, { headers: { 'if-none-match': etag } });
  expect(again.status).toBe(304);
});

test('a rotation made by another process (the CLI) is picked up without a restart, and old tokens keep verifying', async () => {
  const credential = await givenMachineCredential(server.core);
  const before = await tokenFor(credential);
  const oldKid = decodeJwt(before).header.kid;

  const cli = await openSecondProcessCore(server.environment);
  let newKid: string;
  try {
    newKid = (await cli.signingKeys.rotate(await cli.keyRetentionSeconds())).kid;
    await cli.changes.publish('signing_key', newKid);
  } finally {
    await cli.close();
  }
  expect(newKid).not.toBe(oldKid);

  await waitFor(async () => decodeJwt(await tokenFor(credential)).header.kid === newKid);
  const after = await tokenFor(credential);

  const resourceServer = createResourceServer(server.url, credential.api.identifier);
  await expect(resourceServer.verify(before)).resolves.toMatchObject({ sub: credential.clientId });
  await expect(resourceServer.verify(after)).resolves.toMatchObject({ sub: credential.clientId });
  const { keys } = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
  expect(keys.map((key) => key.kid)).toEqual(expect.arrayContaining([oldKid, newKid]));

  const listed = await server.core.signingKeys.list();
  expect(listed.find((key) => key.kid === newKid)?.status).toBe('active');
  expect(listed.find((key) => key.kid === oldKid)).toMatchObject({ status: 'retired', expiresAt: expect.any(Date) });
});

test('private keys are stored sealed, never as plain JWKs', async () => {
  const rows = await server.core.storage.db.selectFrom('signing_keys').select(['kid', 'private_jwk_sealed', 'public_jwk']).execute();
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(row.private_jwk_sealed).not.toMatch(/"d"\s*:/);
    expect(JSON.stringify(row.public_jwk)).not.toMatch(/"d"\s*:/);
  }
});
