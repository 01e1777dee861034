import { hash } from '@node-rs/argon2';

import { hashPassword, passwordHashing, passwordMatches } from '../../../src/orgs/passwords.js';
import { useTessera } from '../../support/tessera.js';

const tessera = useTessera();

describe('users', () => {
  test('passwords are stored as argon2id at OWASP cost, never in clear', async () => {
    const user = await tessera.core.users.create({ email: 'grace@example.com', password: 'a long passphrase', name: 'Grace', actor: 'test' });
    const row = await tessera.core.storage.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    // OWASP's m = 9 MiB, t = 4, p = 1 (one of its five equally strong settings).
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=9216,t=4,p=1\$/);
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

  test('a hash made with older settings still signs the person in and is upgraded on the way', async () => {
    const user = await tessera.core.users.create({ email: 'ada@example.com', password: 'a long passphrase', name: 'Ada', actor: 'test' });
    const stored = () => tessera.core.storage.db.selectFrom('users').select('password_hash').where('id', '=', user.id).executeTakeFirstOrThrow();
    // As an earlier Tessera stored it: argon2id, m = 19 MiB, t = 2.
    const older = await hash('a long passphrase', { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    await tessera.core.storage.db.updateTable('users').set({ password_hash: older }).where('id', '=', user.id).execute();

    await expect(tessera.core.users.verifyPassword('ada@example.com', 'wrong passphrase')).resolves.toBeUndefined();
    expect((await stored()).password_hash).toBe(older); // a wrong password upgrades nothing

    await expect(tessera.core.users.verifyPassword('ada@example.com', 'a long passphrase')).resolves.toMatchObject({ id: user.id });
    const upgraded = (await stored()).password_hash;
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=9216,t=4,p=1\$/);
    await expect(tessera.core.users.verifyPassword('ada@example.com', 'a long passphrase')).resolves.toMatchObject({ id: user.id });
    expect((await stored()).password_hash).toBe(upgraded); // current hashes are left alone
  });

  test('a burst of password hashes waits its turn: never more at once than the limit', async () => {
    const hashed = await hashPassword('a long passphrase');
    const burst = Array.from({ length: passwordHashing.limit + 4 }, () => passwordMatches(hashed, 'a long passphrase'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(passwordHashing.running).toBe(passwordHashing.limit);
    expect(passwordHashing.waiting).toBe(4);
    await expect(Promise.all(burst)).resolves.toEqual(burst.map(() => true));
    expect(passwordHashing.running + passwordHashing.waiting).toBe(0);
  });

  test('the role matrix of seed 000 is data', async () => {
    expect(await tessera.core.permissions.forRole('viewer')).toEqual(['requirements:read', 'users:read']);
    expect(await tessera.core.permissions.forRole('admin')).toEqual(expect.arrayContaining(['users:invite', 'users:manage_roles', 'billing:manage', 'api_keys:revoke_all']));
    expect(await tessera.core.permissions.forRole('editor')).not.toContain('users:invite');
  });
});
