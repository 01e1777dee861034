import { sql } from 'kysely';

import { openStorage } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrate.js';
import { consumePayload, findPayload, upsertPayload } from '../../src/storage/repositories/oidc-payloads.js';
import { createEnvironment, usingPostgres, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createEnvironment();
});

afterAll(async () => {
  await environment.cleanup();
});

// Prepared statements are a Postgres connection's; the embedded database plans in process.
(usingPostgres ? describe : describe.skip)('the statements every refresh runs', () => {
  test.each([
    [true, ['tessera_payload_consume', 'tessera_payload_find', 'tessera_payload_upsert']],
    [false, []],
  ])('with DATABASE_PREPARED_STATEMENTS=%s, Postgres keeps these prepared on the connection: %j', async (prepared, names) => {
    // One connection, so the check below looks at the session the statements ran on.
    const storage = await openStorage({ DATABASE_URL: environment.env.DATABASE_URL, dataDir: environment.env.DATA_DIR!, DATABASE_PREPARED_STATEMENTS: prepared }, { poolSize: 1 });
    try {
      await migrate(storage.db);
      const id = `grant-${String(prepared)}`;
      const now = new Date();
      // Twice each: the second run of a prepared statement is the one that only executes.
      for (const round of [1, 2]) {
        await upsertPayload(storage.db, { model: 'Grant', id, payload: { round }, expiresAt: new Date(now.getTime() + 60_000) });
        expect(await findPayload(storage.db, 'Grant', id, now)).toEqual({ payload: { round }, consumed_at: null });
      }
      expect(await consumePayload(storage.db, 'Grant', id, now)).toBe(true);
      expect(await consumePayload(storage.db, 'Grant', id, now)).toBe(false);

      const kept = await sql<{ name: string }>`select name from pg_prepared_statements where name like 'tessera_%' order by name`.execute(storage.db);
      expect(kept.rows.map((row) => row.name)).toEqual(names);
    } finally {
      await storage.close();
    }
  });
});
