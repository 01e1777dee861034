import { sql } from 'kysely';

import type { Db } from '../db.js';

/** Rows per statement: well under Postgres's 65,535 bind parameters (two per row). */
const ROWS_PER_STATEMENT = 1_000;

/**
 * The statement behind a last-used flush, for the repository that owns `table`: one UPDATE per
 * 1,000 rows, never one per row, and a time only moves forward (another instance may have
 * written a later one).
 */
export async function updateLastUsed(db: Db, table: 'clients' | 'api_keys', uses: ReadonlyMap<string, Date>): Promise<void> {
  const rows = [...uses];
  for (let start = 0; start < rows.length; start += ROWS_PER_STATEMENT) {
    const values = rows.slice(start, start + ROWS_PER_STATEMENT).map(([id, at]) => sql`(${id}::text, ${at.toISOString()}::timestamptz)`);
    await sql`
      update ${sql.table(table)} as t set last_used_at = v.at
      from (values ${sql.join(values)}) as v(id, at)
      where t.id = v.id and (t.last_used_at is null or t.last_used_at < v.at)
    `.execute(db);
  }
}
