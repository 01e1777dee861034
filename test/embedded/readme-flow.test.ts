import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { postJson } from '../support/oauth.js';
import { createResourceServer } from '../support/resource-server.js';

/**
 * The README's first minutes, as a newcomer runs them: the built server on the embedded default
 * (no DATABASE_URL, no REDIS_URL), the `tessera` CLI in another process, then curl's request.
 */
let dir: string;
let server: ChildProcess;
let baseUrl: string;
let env: NodeJS.ProcessEnv;

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const tessera = (...args: string[]) => {
  const result = spawnSync(process.execPath, ['bin/tessera.js', ...args, '--json'], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stderr: result.stderr, json: result.stdout ? (JSON.parse(result.stdout) as Record<string, unknown> & Array<Record<string, unknown>>) : undefined };
};

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tessera-readme-'));
  const port = await freePort();
  baseUrl = `http://localhost:${port}`;
  env = { PATH: process.env.PATH, PORT: String(port), DATA_DIR: path.join(dir, 'data'), KEYS_DIR: path.join(dir, 'keys'), LOG_LEVEL: 'info' };
  server = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 45_000);
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Tessera listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
});

afterAll(async () => {
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

test('api create, org create, client create, then a JSON token request that a resource server accepts', async () => {
  const api = tessera('api', 'create', '--identifier', 'https://api.example.com', '--name', 'Example API');
  expect(api.status).toBe(0);
  const org = tessera('org', 'create', '--name', 'Acme');
  expect(org.json).toMatchObject({ id: expect.stringMatching(/^org_/), name: 'Acme' });
  const client = tessera('client', 'create', '--type', 'm2m', '--org', String(org.json!.id), '--name', 'CI/CD Pipeline', '--role', 'editor');
  expect(client.json).toMatchObject({ client_id: expect.stringMatching(/^cred_/), client_secret: expect.any(String), role: 'editor' });
  const { client_id: clientId, client_secret: clientSecret } = client.json as unknown as { client_id: string; client_secret: string };
  expect(Buffer.from(clientSecret, 'base64url').length).toBeGreaterThanOrEqual(32);

  const response = await postJson(`${baseUrl}/oauth/token`, { client_id: clientId, client_secret: clientSecret, audience: 'https://api.example.com', grant_type: 'client_credentials' });
  expect(response.status).toBe(200);
  expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 86400 });
  const claims = await createResourceServer(baseUrl, 'https://api.example.com').verify(response.body.access_token as string);
  expect(claims).toMatchObject({ sub: clientId, org: org.json!.id, role: 'editor' });

  // The secret was shown once: listing never shows it (nor its digest).
  const listed = tessera('client', 'list', '--org', String(org.json!.id));
  expect(listed.status).toBe(0);
  expect(JSON.stringify(listed.json)).not.toContain(clientSecret);
  expect(JSON.stringify(listed.json)).not.toMatch(/digest/);
});

test('keys rotate through the CLI is served by the running server within seconds', async () => {
  const before = ((await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys;
  const rotated = tessera('keys', 'rotate');
  expect(rotated.status).toBe(0);
  const newKid = String(rotated.json!.kid);
  const deadline = Date.now() + 10_000;
  let kids: string[] = [];
  while (Date.now() < deadline) {
    kids = ((await (await fetch(`${baseUrl}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
    if (kids.includes(newKid)) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(kids).toEqual(expect.arrayContaining([newKid, ...before.map((key) => key.kid)]));
  const listed = tessera('keys', 'list');
  expect(listed.json!.find((key) => key.kid === newKid)).toMatchObject({ status: 'active' });
});

test('bad CLI input is refused with one line and exit code 1, changing nothing', () => {
  const result = spawnSync(process.execPath, ['bin/tessera.js', 'client', 'create', '--type', 'm2m', '--org', 'org_nope', '--name', 'x', '--role', 'emperor'], { env, encoding: 'utf8' });
  expect(result.status).toBe(1);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(/role/);
});
