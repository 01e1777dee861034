import { spawnSync } from 'node:child_process';

import { createEnvironment, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createEnvironment();
});

afterAll(async () => {
  await environment.cleanup();
});

function tessera(...args: string[]) {
  const result = spawnSync(process.execPath, ['bin/tessera.js', ...args, '--json'], { env: { ...process.env, ...environment.env }, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, body: JSON.parse(result.stdout || '{}') as Record<string, unknown>, stdout: result.stdout };
}

test('user create, member add, member set-role and user suspend print JSON, never the password', () => {
  const org = tessera('org', 'create', '--name', 'Acme');
  const password = 'correct horse battery staple';
  const user = tessera('user', 'create', '--email', 'Ada@Example.com', '--password', password, '--name', 'Ada');
  expect(user).toMatchObject({ status: 0, body: { id: expect.stringMatching(/^usr_/), email: 'Ada@Example.com', name: 'Ada', status: 'active' } });
  expect(user.stdout).not.toContain(password);

  const member = tessera('member', 'add', '--org', org.body.id as string, '--user', user.body.id as string, '--role', 'editor');
  expect(member).toMatchObject({ status: 0, body: { org_id: org.body.id, user_id: user.body.id, role: 'editor' } });
  expect(tessera('member', 'set-role', '--org', org.body.id as string, '--user', user.body.id as string, '--role', 'admin').body).toMatchObject({ role: 'admin' });

  const duplicate = tessera('user', 'create', '--email', 'ada@example.com', '--password', password, '--name', 'Ada 2');
  expect(duplicate).toMatchObject({ status: 1, body: { error: 'conflict' } });
  const badRole = tessera('member', 'add', '--org', org.body.id as string, '--user', user.body.id as string, '--role', 'emperor');
  expect(badRole.status).toBe(1);

  expect(tessera('user', 'suspend', user.body.id as string)).toMatchObject({ status: 0, body: { status: 'suspended', suspended_at: expect.any(String) } });
});
