import { runStatement, statement, type Db } from '../db.js';

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

/** Deletes up to `limit` rows whose grant has expired; returns how many went. */
export const deleteExpiredGrantOrganizations = async (db: Db, now: Date, limit: number) =>
  Number((await runStatement(db, DELETE_EXPIRED, [now, limit])).numAffectedRows ?? 0n);

const DELETE_EXPIRED = statement('grant_organization_delete_expired', `delete from grant_organizations where ctid in
  (select ctid from grant_organizations where expires_at <= $1 limit $2)`);

export const deleteGrantOrganizationsForUser = (db: Db, userId: string) =>
  db.deleteFrom('grant_organizations').where('user_id', '=', userId).execute();

/**
 * Who a grant acts as, in one round trip for the refresh path: the person, the organization the
 * grant was given for (null when none or expired) and their role there now (null when they left).
 */
export const findGrantActor = async (db: Db, grantId: string, userId: string, now: Date) =>
  (await runStatement<GrantActorRow>(db, FIND_GRANT_ACTOR, [grantId, now, userId])).rows[0];

/** GrantActorRow's columns, from `users` joined by grantActorJoins (also read with a refresh token). */
export const GRANT_ACTOR_COLUMNS = 'users.id, users.email, users.name, users.email_verified, users.created_at, users.suspended_at, g.org_id, m.role';

/** The grant's live organization (`g`) and the person's membership there (`m`), for `users`. */
export const grantActorJoins = (grantId: string, now: string) => `
  left join grant_organizations as g on g.grant_id = ${grantId} and g.expires_at > ${now}
  left join memberships as m on m.org_id = g.org_id and m.user_id = users.id`;

// Run on every refresh: plain SQL (see runStatement).
const FIND_GRANT_ACTOR = statement('grant_actor_find', `select ${GRANT_ACTOR_COLUMNS} from users ${grantActorJoins('$1', '$2')} where users.id = $3`);

export interface GrantActorRow {
  id: string;
  email: string;
  name: string;
  email_verified: boolean;
  created_at: Date;
  suspended_at: Date | null;
  org_id: string | null;
  role: string | null;
}
