import type { AuditLog } from '../observability/audit.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import type { ChangeFeed } from '../storage/changes.js';
import type { Db } from '../storage/db.js';
import { isForeignKeyViolation, isUniqueViolation } from '../storage/pg-errors.js';
import {
  deleteMembership,
  findMembership,
  insertMembership,
  listMembershipsByOrg,
  listMembershipsByUser,
  updateMembershipRole,
  type MembershipRow,
} from '../storage/repositories/memberships.js';
import type { Role } from './roles.js';

/** A person's place in an organization. */
export interface Membership {
  orgId: string;
  userId: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

const toMembership = (row: Omit<MembershipRow, 'role'> & { role: string }): Membership => ({
  orgId: row.org_id,
  userId: row.user_id,
  role: row.role as Role,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * Memberships (user, organization, role). Roles are read live at every token issuance, so a
 * role change or removal shows in the next token or refresh.
 */
export function createMemberships(deps: { db: Db; audit: AuditLog; clock: Clock; changes?: ChangeFeed }) {
  const { db, audit, clock } = deps;

  return {
    async add(input: { orgId: string; userId: string; role: Role; actor: string }): Promise<Membership> {
      try {
        const row = await insertMembership(db, { org_id: input.orgId, user_id: input.userId, role: input.role, created_at: clock.now() });
        await audit.record({ orgId: input.orgId, actor: input.actor, action: 'membership.added', targetType: 'user', targetId: input.userId, details: { role: input.role } });
        return toMembership(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError('the user is already a member of this organization');
        if (isForeignKeyViolation(error)) {
          const message = String((error as { constraint?: string; message?: string }).constraint ?? (error as Error).message);
          throw new NotFoundError(message.includes('user') ? 'user' : 'organization');
        }
        throw error;
      }
    },

    async setRole(input: { orgId: string; userId: string; role: Role; actor: string }): Promise<Membership> {
      const before = await findMembership(db, input.orgId, input.userId);
      if (!before) throw new NotFoundError('membership');
      const row = await updateMembershipRole(db, input.orgId, input.userId, input.role, clock.now());
      if (!row) throw new NotFoundError('membership');
      await audit.record({
        orgId: input.orgId,
        actor: input.actor,
        action: 'membership.role_changed',
        targetType: 'user',
        targetId: input.userId,
        details: { from: before.role, to: input.role },
      });
      return toMembership(row);
    },

    async remove(input: { orgId: string; userId: string; actor: string }): Promise<Membership> {
      const row = await deleteMembership(db, input.orgId, input.userId);
      if (!row) throw new NotFoundError('membership');
      await audit.record({ orgId: input.orgId, actor: input.actor, action: 'membership.removed', targetType: 'user', targetId: input.userId });
      return toMembership(row);
    },

    async get(orgId: string, userId: string): Promise<Membership> {
      const row = await findMembership(db, orgId, userId);
      if (!row) throw new NotFoundError('membership');
      return toMembership(row);
    },

    async find(orgId: string, userId: string): Promise<Membership | undefined> {
      const row = await findMembership(db, orgId, userId);
      return row ? toMembership(row) : undefined;
    },

    async listForOrg(orgId: string, page: { limit: number; after?: string } = { limit: 100 }): Promise<Membership[]> {
      return (await listMembershipsByOrg(db, orgId, page)).map(toMembership);
    },

    /** Every organization the person belongs to, by name, with the organization's name. */
    async listForUser(userId: string): Promise<Array<Membership & { orgName: string }>> {
      return (await listMembershipsByUser(db, userId)).map((row) => ({ ...toMembership(row), orgName: row.org_name }));
    },
  };
}

export type Memberships = ReturnType<typeof createMemberships>;
