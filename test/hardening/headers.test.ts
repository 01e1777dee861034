import { givenMachineCredential } from '../support/factories.js';
import { postJson } from '../support/oauth.js';
import { useTessera } from '../support/tessera.js';

const server = useTessera();

test.each(['/.well-known/openid-configuration', '/.well-known/jwks.json', '/healthz', '/authorize?client_id=x'])('%s carries the security headers', async (path) => {
  const response = await fetch(`${server.url}${path}`, { redirect: 'manual' });
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(response.headers.get('x-frame-options')).toBe('DENY');
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('referrer-policy')).toBe('no-referrer');
  expect(response.headers.get('x-request-id')).toBeTruthy();
});

test('a caller-supplied X-Request-ID is echoed; a malformed one is replaced', async () => {
  const kept = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
  expect(kept.headers.get('x-request-id')).toBe('trace-123');
  const replaced = await fetch(`${server.url}/healthz`, { headers: { 'x-request-id': 'bad id <script>' } });
  expect(replaced.headers.get('x-request-id')).not.toContain('<');
});

test('a token answer is never cacheable', async () => {
  const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
  const response = await postJson(`${server.url}/oauth/token`, { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' });
  expect(response.status).toBe(200);
  expect(response.headers.get('cache-control')).toBe('no-store');
});

test('a browser origin gets no CORS grant for a machine credential: the call is refused', async () => {
  const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
  const response = await postJson(
    `${server.url}/oauth/token`,
    { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' },
    { origin: 'https://evil.example.com' },
  );
  expect(response.status).toBe(400);
  expect(response.body.error).toBe('invalid_request');
  expect(response.headers.get('access-control-allow-origin')).toBeNull();
});

test('/metrics exposes request and token counters for Prometheus', async () => {
  const { api, clientId, clientSecret } = await givenMachineCredential(server.core);
  await postJson(`${server.url}/oauth/token`, { client_id: clientId, client_secret: clientSecret, audience: api.identifier, grant_type: 'client_credentials' });
  const text = await (await fetch(`${server.url}/metrics`)).text();
  expect(text).toMatch(/tessera_tokens_issued_total\{grant_type="client_credentials"\} [1-9]/);
  expect(text).toMatch(/tessera_http_requests_total\{method="POST",route="\/oauth\/token",status="200"\} [1-9]/);
  expect(text).toContain('tessera_http_request_duration_seconds_bucket');
});
