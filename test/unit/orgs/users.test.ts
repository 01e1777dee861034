import { useTessera } from '../../support/tessera.js';

const tessera = useTessera();

describe('users', () => {
  test('passwords are stored as argon2id at OWASP cost, never in clear', async () => {
    const user = await tessera.core.users.create({ email: 'grace@example.com', password: 'a long passphrase', name: 'Grace', actor: 'test' });
    const row = await tessera.core.storage.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain('a long passphrase');
    expect(user).not.toHaveProperty('passwordHash');
  });

  test('email is unique whatever its case', async () => {
    await tessera.core.users.create({ email: 'Linus@Example.com', password: 'a long passphrase', name: 'Linus', actor: 'test' });
    await expect(tessera.core.users.create({ email: 'linus@example.COM', password: 'another passphrase', name: 'L', actor: 'test' })).rejects.toMatchObject({ status: 409 });
    expect((await tessera.core.users.findByEmail('LINUS@example.com'))?.name).toBe('Linus');
  });

  test('bad input is a 422 naming the fields; verifyPassword answers the same for unknown and wrong', async () => {
    await expect(tessera.core.users.create({ email: 'nope', password: 'short', name: '', actor: 'test' })).rejects.toMatchObject({
      status: 422,
      details: expect.arrayContaining([expect.objectContaining({ field: 'email' }), expect.objectContaining({ field: 'password' }), expect.objectContaining({ field: 'name' })]),
    });
    await tessera.core.users.create({ email: 'margaret@example.com', password: 'a long passphrase', name: 'Margaret', actor: 'test' });
    await expect(tessera.core.users.verifyPassword('margaret@example.com', 'wrong passphrase')).resolves.toBeUndefined();
    await expect(tessera.core.users.verifyPassword('nobody@example.com', 'a long passphrase')).resolves.toBeUndefined();
    await expect(tessera.core.users.verifyPassword('MARGARET@example.com', 'a long passphrase')).resolves.toMatchObject({ name: 'Margaret' });
  });

  test('the role matrix of seed 000 is data', async () => {
    expect(await tessera.core.permissions.forRole('viewer')).toEqual(['requirements:read', 'users:read']);
    expect(await tessera.core.permissions.forRole('admin')).toEqual(expect.arrayContaining(['users:invite', 'users:manage_roles', 'billing:manage', 'api_keys:revoke_all']));
    expect(await tessera.core.permissions.forRole('editor')).not.toContain('users:invite');
  });
});
