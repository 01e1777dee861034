import type { Selectable } from 'kysely';

import type { Db } from '../db.js';
import type { MembershipsTable } from '../schema.js';

export type MembershipRow = Selectable<MembershipsTable>;

export const insertMembership = (db: Db, row: { org_id: string; user_id: string; role: string; created_at: Date }) =>
  db
    .insertInto('memberships')
    .values({ ...row, updated_at: row.created_at })
    .returningAll()
    .executeTakeFirstOrThrow();

export const findMembership = (db: Db, orgId: string, userId: string) =>
  db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).executeTakeFirst();

export const updateMembershipRole = (db: Db, orgId: string, userId: string, role: string, at: Date) =>
  db
    .updateTable('memberships')
    .set({ role, updated_at: at })
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();

export const deleteMembership = (db: Db, orgId: string, userId: string) =>
  db.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).returningAll().executeTakeFirst();

export const listMembershipsByOrg = (db: Db, orgId: string, { limit, after }: { limit: number; after?: string }) => {
  let query = db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).orderBy('user_id').limit(limit);
  if (after) query = query.where('user_id', '>', after);
  return query.execute();
};

/** A person's organizations with their names, for the organization choice page. */
export const listMembershipsByUser = (db: Db, userId: string) =>
  db
    .selectFrom('memberships')
    .innerJoin('organizations', 'organizations.id', 'memberships.org_id')
    .select(['memberships.org_id', 'memberships.user_id', 'memberships.role', 'memberships.created_at', 'memberships.updated_at', 'organizations.name as org_name'])
    .where('memberships.user_id', '=', userId)
    .orderBy('organizations.name')
    .orderBy('memberships.org_id')
    .execute();
