import { touchApiKeys } from '../../src/storage/repositories/api-keys.js';
import { touchClients } from '../../src/storage/repositories/clients.js';
import { givenMachineCredential } from '../support/factories.js';
import { useTessera } from '../support/tessera.js';

const server = useTessera();

describe('a last-used flush', () => {
  test('writes every credential of a large batch (more rows than one statement takes), and never moves a time back', async () => {
    const { org, clientId } = await givenMachineCredential(server.core);
    const ids = [clientId];
    for (let i = 0; i < 1_050; i += 1) {
      ids.push((await server.core.clients.create({ orgId: org.id, name: `Worker ${i}`, type: 'm2m', role: 'viewer', actor: 'test' })).client.id);
    }
    const later = new Date('2026-06-02T12:00:00Z');
    const flushed = new Date('2026-06-01T12:00:00Z');
    const db = server.core.storage.db;
    await db.updateTable('clients').set({ last_used_at: later }).where('id', '=', ids.at(-1)!).execute();

    await touchClients(db, new Map(ids.map((id) => [id, flushed])));

    const rows = await db.selectFrom('clients').select(['id', 'last_used_at']).where('org_id', '=', org.id).execute();
    const at = new Map(rows.map((row) => [row.id, row.last_used_at?.toISOString()]));
    expect(ids.slice(0, -1).filter((id) => at.get(id) !== flushed.toISOString())).toEqual([]);
    expect(at.get(ids.at(-1)!)).toBe(later.toISOString());
  });

  test('writes API keys the same way', async () => {
    const { org } = await givenMachineCredential(server.core);
    const keys = await Promise.all(
      [1, 2].map((i) => server.core.apiKeys.create({ orgId: org.id, owner: `bot-${i}`, name: 'CI', role: 'editor', expiresInDays: 30, actor: 'test' })),
    );
    const flushed = new Date('2026-06-01T12:00:00Z');
    await touchApiKeys(server.core.storage.db, new Map(keys.map(({ apiKey }) => [apiKey.id, flushed])));
    for (const { apiKey } of keys) expect((await server.core.apiKeys.get(apiKey.id)).lastUsedAt?.toISOString()).toBe(flushed.toISOString());
  });
});
