import type { Insertable, Selectable } from 'kysely';

import type { Db } from '../db.js';
import type { ApiKeysTable } from '../schema.js';
import { updateLastUsed } from './last-used-update.js';

export type ApiKeyRow = Selectable<ApiKeysTable>;

export const insertApiKey = (db: Db, row: Insertable<ApiKeysTable>) =>
  db.insertInto('api_keys').values(row).returningAll().executeTakeFirstOrThrow();

export const findApiKeyById = (db: Db, id: string) =>
  db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();

export const findApiKeysByIds = (db: Db, ids: string[]) =>
  db.selectFrom('api_keys').selectAll().where('id', 'in', ids).execute();

/** Keyset page of an organization's keys, oldest first; `owner` narrows to one owner's keys. */
export const listApiKeysByOrg = (
  db: Db,
  orgId: string,
  { limit, after, owner, includeRevoked }: { limit: number; after?: { createdAt: Date; id: string }; owner?: string; includeRevoked?: boolean },
) => {
  let query = db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).orderBy('created_at').orderBy('id').limit(limit);
  if (owner !== undefined) query = query.where('owner', '=', owner);
  if (!includeRevoked) query = query.where('revoked_at', 'is', null);
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('created_at', '>', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '>', after.id)])]),
    );
  }
  return query.execute();
};

/** Soft delete: the row stays for the audit trail. Returns nothing when already revoked. */
export const revokeApiKey = (db: Db, id: string, at: Date) =>
  db.updateTable('api_keys').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).returningAll().executeTakeFirst();

/** Last-used times arrive coalesced, one batch per interval (issue 4). */
export const touchApiKeys = (db: Db, uses: ReadonlyMap<string, Date>) => updateLastUsed(db, 'api_keys', uses);
