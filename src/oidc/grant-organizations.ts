import type { Clock } from '../shared/clock.js';
import type { Db } from '../storage/db.js';
import type { Role } from '../orgs/roles.js';
import { toUser, type User } from '../orgs/users.js';
import { findGrantActor, findGrantOrganization, upsertGrantOrganization, type GrantActorRow } from '../storage/repositories/grant-organizations.js';

/**
 * The organization a grant acts for. oidc-provider's Grant keeps only its own fields, so the
 * choice made on the organization page is recorded beside it, durable like the grant, and read
 * back by grant id whenever a code, refresh token or access token of that grant is used.
 */
export function createGrantOrganizations(deps: { db: Db; clock: Clock; ttlSeconds: number }) {
  const { db, clock } = deps;
  return {
    async record(grantId: string, userId: string, orgId: string): Promise<void> {
      const expiresAt = new Date(clock.now().getTime() + deps.ttlSeconds * 1000);
      await upsertGrantOrganization(db, { grant_id: grantId, user_id: userId, org_id: orgId, expires_at: expiresAt });
    },
    async find(grantId: string): Promise<string | undefined> {
      return (await findGrantOrganization(db, grantId, clock.now()))?.org_id;
    },
    /** The person behind a grant and what they act as, read together (one query per token request). */
    async actor(grantId: string, userId: string): Promise<GrantActor | undefined> {
      const row = await findGrantActor(db, grantId, userId, clock.now());
      return row ? toGrantActor(row) : undefined;
    },
  };
}

export type GrantOrganizations = ReturnType<typeof createGrantOrganizations>;

/** The person of a grant-actor row and what they act as (also read ahead with a refresh token). */
export const toGrantActor = (row: GrantActorRow): GrantActor => ({
  user: toUser(row),
  acting: row.org_id ? (row.role ? { org: row.org_id, role: row.role as Role } : null) : undefined,
});

export interface GrantActor {
  user: User;
  /** The organization and current role; undefined when the grant has none, null when they left it. */
  acting: { org: string; role: Role } | null | undefined;
}
