import type { AuditLog } from '../observability/audit.js';
import type { Clock } from '../shared/clock.js';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.js';
import { newId } from '../shared/random.js';
import type { ChangeFeed } from '../storage/changes.js';
import type { Db } from '../storage/db.js';
import { isUniqueViolation } from '../storage/pg-errors.js';
import { deleteGrantOrganizationsForUser } from '../storage/repositories/grant-organizations.js';
import { destroyDurablePayloadsByAccount } from '../storage/repositories/oidc-payloads.js';
import { listMembershipsByUser } from '../storage/repositories/memberships.js';
import { findUserByEmail, findUserById, insertUser, replacePasswordHash, suspendUser, type UserRow } from '../storage/repositories/users.js';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, hashPassword, needsRehash, passwordMatches, spendVerificationTime } from './passwords.js';

/** A person who signs in. Never carries the password hash. */
export interface User {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  createdAt: Date;
  suspendedAt: Date | null;
  status: 'active' | 'suspended';
}

export interface NewUser {
  email: string;
  password: string;
  name: string;
  emailVerified?: boolean;
  actor: string;
}

/** What a User is made of: every column but the password hash (the token path reads no more). */
export type UserFields = Pick<UserRow, 'id' | 'email' | 'name' | 'email_verified' | 'created_at' | 'suspended_at'>;

export const toUser = (row: UserFields): User => ({
  id: row.id,
  email: row.email,
  name: row.name,
  emailVerified: row.email_verified,
  createdAt: row.created_at,
  suspendedAt: row.suspended_at,
  status: row.suspended_at ? 'suspended' : 'active',
});

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function createUsers(deps: { db: Db; audit: AuditLog; clock: Clock; changes: ChangeFeed }) {
  const { db, audit, clock, changes } = deps;

  return {
    async create(input: NewUser): Promise<User> {
      const email = input.email.trim();
      const name = input.name.trim();
      const problems = [
        ...(EMAIL.test(email) && email.length <= 320 ? [] : [{ field: 'email', message: 'must be an email address' }]),
        ...(name.length >= 1 && name.length <= 200 ? [] : [{ field: 'name', message: 'must be 1 to 200 characters' }]),
        ...(input.password.length >= MIN_PASSWORD_LENGTH && input.password.length <= MAX_PASSWORD_LENGTH
          ? []
          : [{ field: 'password', message: `must be ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters` }]),
      ];
      if (problems.length > 0) throw new ValidationError('Validation failed', problems);
      const passwordHash = await hashPassword(input.password);
      try {
        const row = await insertUser(db, {
          id: newId('usr'),
          email,
          name,
          password_hash: passwordHash,
          email_verified: input.emailVerified ?? false,
          created_at: clock.now(),
          updated_at: clock.now(),
        });
        await audit.record({ orgId: null, actor: input.actor, action: 'user.created', targetType: 'user', targetId: row.id });
        return toUser(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError('a user with this email already exists');
        throw error;
      }
    },

    async get(id: string): Promise<User> {
      const row = await findUserById(db, id);
      if (!row) throw new NotFoundError('user');
      return toUser(row);
    },

    /** Uncached on purpose: a suspension must take effect on the very next request. */
    async find(id: string): Promise<User | undefined> {
      const row = await findUserById(db, id);
      return row ? toUser(row) : undefined;
    },

    async findByEmail(email: string): Promise<User | undefined> {
      const row = await findUserByEmail(db, email.trim());
      return row ? toUser(row) : undefined;
    },

    /**
     * The user when the password is theirs, else undefined — the same answer, in about the same
     * time, for an unknown email and a wrong password. Suspended users are returned: the caller
     * decides what to tell someone who proved who they are.
     */
    async verifyPassword(email: string, password: string): Promise<User | undefined> {
      if (password.length > MAX_PASSWORD_LENGTH) return undefined;
      const row = await findUserByEmail(db, email.trim());
      if (!row) {
        await spendVerificationTime(password);
        return undefined;
      }
      if (!(await passwordMatches(row.password_hash, password))) return undefined;
      if (needsRehash(row.password_hash)) {
        // Older settings are upgraded while the password is at hand. Only the hash that was
        // verified is replaced (a password changed meanwhile wins); a failed write is retried
        // at the next sign-in rather than refusing someone who proved who they are.
        await hashPassword(password)
          .then((upgraded) => replacePasswordHash(db, row.id, row.password_hash, upgraded, clock.now()))
          .catch(() => undefined);
      }
      return toUser(row);
    },

    /**
     * Stops the person at once: no new sign-in, no refresh (their grants and refresh tokens are
     * deleted), and their browser sessions no longer authorize anything (findAccount refuses).
     */
    async suspend(id: string, input: { actor: string; ip?: string }): Promise<User> {
      const row = await suspendUser(db, id, clock.now());
      if (!row) return this.get(id); // 404 when unknown; already suspended is not an error
      await destroyDurablePayloadsByAccount(db, id);
      await deleteGrantOrganizationsForUser(db, id);
      await changes.publish('user', id);
      // Once for the operator's trail, and once in each organization's, whose admins must see it.
      const event = { actor: input.actor, action: 'user.suspended', targetType: 'user', targetId: id, ip: input.ip } as const;
      await audit.record({ orgId: null, ...event });
      for (const membership of await listMembershipsByUser(db, id)) await audit.record({ orgId: membership.org_id, ...event });
      return toUser(row);
    },
  };
}

export type Users = ReturnType<typeof createUsers>;
