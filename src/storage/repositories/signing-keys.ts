import type { Insertable } from 'kysely';

import type { Db } from '../db.js';
import type { SigningKeysTable } from '../schema.js';

export const insertSigningKey = (db: Db, row: Insertable<SigningKeysTable>) =>
  db.insertInto('signing_keys').values(row).execute();

/** Keys still published: the active one and retired ones whose tokens may still be live. */
export const listPublishedSigningKeys = (db: Db, now: Date) =>
  db
    .selectFrom('signing_keys')
    .selectAll()
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .orderBy('created_at', 'desc')
    .execute();

export const listAllSigningKeys = (db: Db) =>
  db.selectFrom('signing_keys').selectAll().orderBy('created_at', 'desc').execute();

/** Retires every active key but `exceptKid`; each stays published until `expiresAt`. */
export const retireSigningKeys = (db: Db, exceptKid: string, at: Date, expiresAt: Date) =>
  db
    .updateTable('signing_keys')
    .set({ retired_at: at, expires_at: expiresAt })
    .where('kid', '!=', exceptKid)
    .where('retired_at', 'is', null)
    .execute();
