import type { Db } from '../db.js';

export const insertOrganization = (db: Db, row: { id: string; name: string }) =>
  db.insertInto('organizations').values(row).returningAll().executeTakeFirstOrThrow();

export const findOrganizationById = (db: Db, id: string) =>
  db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();

export const listOrganizations = (db: Db, { limit, after }: { limit: number; after?: string }) => {
  let query = db.selectFrom('organizations').selectAll().orderBy('id').limit(limit);
  if (after) query = query.where('id', '>', after);
  return query.execute();
};
