import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { sql } from 'kysely';

import type { Db } from './db.js';

/** Any constant works; it only has to be the same in every Tessera process. */
const MIGRATION_LOCK = 7_236_001;

/**
 * Applies every `migrations/NNNN_name.sql` not yet recorded, in name order, each in the one
 * transaction that holds a transaction-level advisory lock: two processes starting at once
 * queue behind each other and the second finds nothing left to do.
 */
export async function migrate(db: Db, dir = resolveMigrationsDir()): Promise<string[]> {
  const files = (await readdir(dir)).filter((name) => /^\d{4}_[\w-]+\.sql$/.test(name)).sort();
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MIGRATION_LOCK})`.execute(trx);
    await sql`create table if not exists schema_migrations (
      name text primary key,
      applied_at timestamptz not null default now()
    )`.execute(trx);
    const applied = new Set(
      (await trx.selectFrom('schema_migrations').select('name').execute()).map((row) => row.name),
    );
    const pending = files.filter((name) => !applied.has(name));
    for (const name of pending) {
      await sql.raw(await readFile(path.join(dir, name), 'utf8')).execute(trx);
      await trx.insertInto('schema_migrations').values({ name }).execute();
    }
    return pending;
  });
}

/** migrations/ sits at the project root, both when running from src/ and from dist/src/. */
export function resolveMigrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '../../migrations'), path.resolve(here, '../../../migrations')];
  return candidates.find((candidate) => existsSync(candidate)) ?? candidates[0]!;
}
