import { PassThrough } from 'node:stream';

import { givenMachineCredential } from '../support/factories.js';
import { basicAuth, postForm, postJson } from '../support/oauth.js';
import { createEnvironment, startTessera, type RunningTessera, type TestEnvironment } from '../support/tessera.js';

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
  const { createHash } = await import('node:crypto');
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(20);
    expect(logs).not.toContain(secret);
    expect(logs).not.toContain(createHash('sha256').update(secret).digest('hex'));
  }
  // and none in the audit trail either
  const audit = JSON.stringify(await server.core.storage.db.selectFrom('audit_events').selectAll().execute());
  for (const secret of secrets) expect(audit).not.toContain(secret);
});
