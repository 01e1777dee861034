import { sql, type Insertable, type Selectable } from 'kysely';

import type { Db } from '../db.js';
import type { UsersTable } from '../schema.js';

export type UserRow = Selectable<UsersTable>;

export const insertUser = (db: Db, row: Insertable<UsersTable>) =>
  db.insertInto('users').values(row).returningAll().executeTakeFirstOrThrow();

export const findUserById = (db: Db, id: string) =>
  db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();

/** Case-insensitive, served by the users_email_lower index. */
export const findUserByEmail = (db: Db, email: string) =>
  db
    .selectFrom('users')
    .selectAll()
    .where(sql<string>`lower(email)`, '=', email.toLowerCase())
    .executeTakeFirst();

/** Sets suspended_at once; returns the row only when this call suspended the user. */
export const suspendUser = (db: Db, id: string, at: Date) =>
  db
    .updateTable('users')
    .set({ suspended_at: at, updated_at: at })
    .where('id', '=', id)
    .where('suspended_at', 'is', null)
    .returningAll()
    .executeTakeFirst();

/** Swaps the password hash only if it is still `previous`; true when it was swapped. */
export const replacePasswordHash = async (db: Db, id: string, previous: string, next: string, at: Date) =>
  (await db.updateTable('users').set({ password_hash: next, updated_at: at }).where('id', '=', id).where('password_hash', '=', previous).executeTakeFirst())
    .numUpdatedRows === 1n;

export const listUsersByIds = (db: Db, ids: string[]) =>
  ids.length === 0 ? Promise.resolve([]) : db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
