import type { Insertable, Selectable } from 'kysely';

import type { Db } from '../db.js';
import type { ClientsTable } from '../schema.js';
import { updateLastUsed } from './last-used-update.js';

export type ClientRow = Selectable<ClientsTable>;

export const insertClient = (db: Db, row: Insertable<ClientsTable>) =>
  db.insertInto('clients').values(row).returningAll().executeTakeFirstOrThrow();

export const findClientById = (db: Db, id: string) =>
  db.selectFrom('clients').selectAll().where('id', '=', id).executeTakeFirst();

export const findClientsByIds = (db: Db, ids: string[]) =>
  db.selectFrom('clients').selectAll().where('id', 'in', ids).execute();

export const listClientsByOrg = (
  db: Db,
  orgId: string,
  { limit, after, type }: { limit: number; after?: { createdAt: Date; id: string }; type?: ClientRow['type'] },
) => {
  let query = db
    .selectFrom('clients')
    .selectAll()
    .where('org_id', '=', orgId)
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit);
  if (type) query = query.where('type', '=', type);
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '>', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)]),
      ]),
    );
  }
  return query.execute();
};

/** Replaces the secret; the old digest stays valid until `previousExpiresAt` (null: not at all). */
export const replaceClientSecret = (
  db: Db,
  id: string,
  digest: string,
  previousExpiresAt: Date | null,
) =>
  db
    .updateTable('clients')
    .set((eb) => ({
      previous_secret_digest: previousExpiresAt ? eb.ref('secret_digest') : null,
      previous_secret_expires_at: previousExpiresAt,
      secret_digest: digest,
      updated_at: new Date(),
    }))
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();

export const revokeClient = (db: Db, id: string, at: Date) =>
  db
    .updateTable('clients')
    .set({ revoked_at: at, updated_at: at, previous_secret_digest: null, previous_secret_expires_at: null })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();

/** One statement for many clients: last-used times are flushed in batches, never per request. */
export const touchClients = (db: Db, uses: ReadonlyMap<string, Date>) => updateLastUsed(db, 'clients', uses);
