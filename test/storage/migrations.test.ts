import { sql } from 'kysely';

import { openStorage } from '../../src/storage/db.js';
import { migrate, resolveMigrationsDir } from '../../src/storage/migrate.js';
import { readdirSync } from 'node:fs';
import { createEnvironment, type TestEnvironment } from '../support/tessera.js';

let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createEnvironment();
});

afterAll(async () => {
  await environment.cleanup();
});

test('two processes migrating one empty database at once apply each migration exactly once', async () => {
  const config = { DATABASE_URL: environment.env.DATABASE_URL, dataDir: environment.env.DATA_DIR! };
  // Two pools stand for two processes; on the embedded default both share one PGlite.
  const first = await openStorage(config);
  const second = config.DATABASE_URL ? await openStorage(config) : first;
  try {
    const [a, b] = await Promise.all([migrate(first.db), migrate(second.db)]);
    const files = readdirSync(resolveMigrationsDir()).filter((name) => name.endsWith('.sql')).sort();
    // One of them applied everything; the other found nothing left to do.
    expect([...a, ...b].sort()).toEqual(files);
    const recorded = await first.db.selectFrom('schema_migrations').select('name').orderBy('name').execute();
    expect(recorded.map((row) => row.name)).toEqual(files);
    const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(first.db);
    expect(tables.rows.map((row) => row.table_name)).toEqual(expect.arrayContaining(['apis', 'organizations', 'clients', 'signing_keys', 'oidc_payloads', 'audit_events']));
    await expect(migrate(first.db)).resolves.toEqual([]);
  } finally {
    if (second !== first) await second.close();
    await first.close();
  }
});
