import type { Db } from '../db.js';

export const upsertGrantOrganization = (db: Db, row: { grant_id: string; user_id: string; org_id: string; expires_at: Date }) =>
  db
    .insertInto('grant_organizations')
    .values(row)
    .onConflict((oc) => oc.column('grant_id').doUpdateSet((eb) => ({ org_id: eb.ref('excluded.org_id'), expires_at: eb.ref('excluded.expires_at') })))
    .execute();

export const findGrantOrganization = (db: Db, grantId: string, now: Date) =>
  db
    .selectFrom('grant_organizations')
    .select(['grant_id', 'user_id', 'org_id'])
    .where('grant_id', '=', grantId)
    .where('expires_at', '>', now)
    .executeTakeFirst();

export const deleteGrantOrganizationsForUser = (db: Db, userId: string) =>
  db.deleteFrom('grant_organizations').where('user_id', '=', userId).execute();
