import type { AuditLog } from '../observability/audit.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError } from '../shared/errors.js';
import type { ChangeFeed } from '../storage/changes.js';
import type { Db } from '../storage/db.js';
import { isForeignKeyViolation, isUniqueViolation } from '../storage/pg-errors.js';
import {
  changeMembershipKeepingAnAdmin,
  findMembership,
  insertMembership,
  listMembershipsByOrg,
  listMembershipsByUser,
  listMembersWithPeople,
  type GuardedMembershipChange,
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
    async add(input: { orgId: string; userId: string; role: Role; actor: string; ip?: string }): Promise<Membership> {
      try {
        const row = await insertMembership(db, { org_id: input.orgId, user_id: input.userId, role: input.role, created_at: clock.now() });
        await audit.record({ orgId: input.orgId, actor: input.actor, action: 'membership.added', targetType: 'user', targetId: input.userId, ip: input.ip, details: { role: input.role } });
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

    /**
     * Changes a member's role. Demoting the organization's last admin is refused (409), whoever
     * asks (management API or CLI), atomically: two admins demoting each other at once leave one.
     */
    async setRole(input: { orgId: string; userId: string; role: Role; actor: string; ip?: string }): Promise<Membership> {
      const change = guarded(await changeMembershipKeepingAnAdmin(db, input.orgId, input.userId, { role: input.role, at: clock.now() }));
      await audit.record({
        orgId: input.orgId,
        actor: input.actor,
        action: 'membership.role_changed',
        targetType: 'user',
        targetId: input.userId,
        ip: input.ip,
        details: { from: change.before.role, to: input.role },
      });
      return toMembership(change.after!);
    },

    /** Removes a member; removing the organization's last admin is refused (409), as for setRole. */
    async remove(input: { orgId: string; userId: string; actor: string; ip?: string }): Promise<Membership> {
      const change = guarded(await changeMembershipKeepingAnAdmin(db, input.orgId, input.userId, { role: null, at: clock.now() }));
      await audit.record({ orgId: input.orgId, actor: input.actor, action: 'membership.removed', targetType: 'user', targetId: input.userId, ip: input.ip });
      return toMembership(change.before);
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

    /** A page of members with their email, name and status, for member lists. */
    async listMembersOfOrg(orgId: string, page: { limit: number; after?: string }): Promise<Array<Membership & { email: string; name: string; status: 'active' | 'suspended' }>> {
      return (await listMembersWithPeople(db, orgId, page)).map((row) => ({
        ...toMembership(row),
        email: row.email,
        name: row.name,
        status: row.suspended_at ? 'suspended' : 'active',
      }));
    },

    /** Every organization the person belongs to, by name, with the organization's name. */
    async listForUser(userId: string): Promise<Array<Membership & { orgName: string }>> {
      return (await listMembershipsByUser(db, userId)).map((row) => ({ ...toMembership(row), orgName: row.org_name }));
    },
  };
}

function guarded(change: GuardedMembershipChange) {
  if (change.outcome === 'not_found') throw new NotFoundError('membership');
  if (change.outcome === 'last_admin') throw new ConflictError('An organization must keep at least one admin');
  return change;
}

export type Memberships = ReturnType<typeof createMemberships>;
