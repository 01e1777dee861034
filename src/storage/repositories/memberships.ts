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

export const listMembershipsByOrg = (db: Db, orgId: string, { limit, after }: { limit: number; after?: string }) => {
  let query = db.selectFrom('memberships').selectAll().where('org_id', '=', orgId).orderBy('user_id').limit(limit);
  if (after) query = query.where('user_id', '>', after);
  return query.execute();
};

/** One page of an organization's members with who they are, in one query (no lookup per row). */
export const listMembersWithPeople = (db: Db, orgId: string, { limit, after }: { limit: number; after?: string }) => {
  let query = db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.org_id', 'memberships.user_id', 'memberships.role', 'memberships.created_at', 'memberships.updated_at', 'users.email', 'users.name', 'users.suspended_at'])
    .where('memberships.org_id', '=', orgId)
    .orderBy('memberships.user_id')
    .limit(limit);
  if (after) query = query.where('memberships.user_id', '>', after);
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

/** What {@link changeMembershipKeepingAnAdmin} did: the row before and after, or why nothing changed. */
export type GuardedMembershipChange =
  | { outcome: 'changed'; before: MembershipRow; after: MembershipRow | undefined }
  | { outcome: 'not_found' }
  | { outcome: 'last_admin' };

/**
 * Changes a member's role (or removes them, `role: null`) unless that would leave the
 * organization without an admin member. Check and change happen in one transaction that first
 * locks the organization's admin memberships (`for update`, in user id order), so two admins
 * demoting each other at the same moment cannot both see "another admin remains": the second
 * waits for the first, then re-reads the admins and is refused.
 */
export const changeMembershipKeepingAnAdmin = (db: Db, orgId: string, userId: string, change: { role: string | null; at: Date }) =>
  db.transaction().execute(async (trx): Promise<GuardedMembershipChange> => {
    const admins = await trx
      .selectFrom('memberships')
      .select('user_id')
      .where('org_id', '=', orgId)
      .where('role', '=', 'admin')
      .orderBy('user_id')
      .forUpdate()
      .execute();
    const before = await trx.selectFrom('memberships').selectAll().where('org_id', '=', orgId).where('user_id', '=', userId).forUpdate().executeTakeFirst();
    if (!before) return { outcome: 'not_found' };
    const losesAdmin = before.role === 'admin' && change.role !== 'admin';
    if (losesAdmin && !admins.some((admin) => admin.user_id !== userId)) return { outcome: 'last_admin' };
    if (change.role === null) {
      await trx.deleteFrom('memberships').where('org_id', '=', orgId).where('user_id', '=', userId).execute();
      return { outcome: 'changed', before, after: undefined };
    }
    const after = await trx
      .updateTable('memberships')
      .set({ role: change.role, updated_at: change.at })
      .where('org_id', '=', orgId)
      .where('user_id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { outcome: 'changed', before, after };
  });
