import type { Db } from '../db.js';

export interface NewApiRow {
  id: string;
  identifier: string;
  name: string;
  token_lifetime_seconds: number;
  scopes: string[];
}

export const insertApi = (db: Db, row: NewApiRow) =>
  db.insertInto('apis').values(row).returningAll().executeTakeFirstOrThrow();

export const findApiByIdentifier = (db: Db, identifier: string) =>
  db.selectFrom('apis').selectAll().where('identifier', '=', identifier).executeTakeFirst();

export const listApis = (db: Db) => db.selectFrom('apis').selectAll().orderBy('created_at').orderBy('id').execute();
