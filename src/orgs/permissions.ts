import { ValidationError } from '../shared/errors.js';
import type { ChangeFeed } from '../storage/changes.js';
import type { Db } from '../storage/db.js';
import {
  countApiPermissions,
  insertApiPermissions,
  insertRolePermissions,
  listApiPermissionsForRole,
  listPermissionsForRole,
} from '../storage/repositories/permissions.js';
import type { Role } from './roles.js';

const PERMISSION = /^[a-z][a-z0-9_.:-]{0,99}$/;

/** A missed notification (Postgres listener reconnecting) is corrected within this long. */
const CACHE_TTL_MS = 60_000;

/**
 * Roles ↔ permissions, as data (seed 000's matrix is seeded by migration 0002). An API that
 * defines permissions gets them in its access tokens, limited to what the role holds.
 */
export function createPermissions(deps: { db: Db; changes: ChangeFeed }) {
  const { db } = deps;
  // Every person's access token asks for its API's permissions (refresh included), while the
  // matrix changes by hand: answers are kept in process and dropped on any change, here or on
  // another instance (the change feed).
  const cache = new Map<string, { permissions: Promise<string[] | undefined>; at: number }>();
  deps.changes.subscribe((topic) => {
    if (topic === 'permission') cache.clear();
  });
  const changed = () => deps.changes.publish('permission', '*');

  const check = (permissions: string[]) => {
    const bad = permissions.filter((permission) => !PERMISSION.test(permission));
    if (bad.length > 0) throw new ValidationError('Validation failed', bad.map(() => ({ field: 'permissions', message: 'must be lowercase letters, digits and _.:-' })));
  };

  return {
    forRole(role: Role): Promise<string[]> {
      return listPermissionsForRole(db, role);
    },

    /** The `permissions` claim for a token to `apiIdentifier`; undefined when the API defines none. */
    forApi(apiIdentifier: string, role: Role): Promise<string[] | undefined> {
      const key = `${role} ${apiIdentifier}`;
      const cached = cache.get(key);
      if (cached && Date.now() - cached.at < CACHE_TTL_MS) return cached.permissions;
      const permissions = (async () => ((await countApiPermissions(db, apiIdentifier)) === 0 ? undefined : listApiPermissionsForRole(db, apiIdentifier, role)))();
      if (cache.size > 10_000) cache.clear();
      cache.set(key, { permissions, at: Date.now() });
      // A failed read is not an answer: the next request asks the database again.
      permissions.catch(() => {
        if (cache.get(key)?.permissions === permissions) cache.delete(key);
      });
      return permissions;
    },

    async defineForApi(apiId: string, permissions: string[]): Promise<void> {
      check(permissions);
      await insertApiPermissions(db, apiId, permissions);
      await changed();
    },

    /** Maps a (possibly new, API-specific) permission to roles. */
    async grantToRoles(permission: string, roles: Role[]): Promise<void> {
      check([permission]);
      await insertRolePermissions(db, roles.map((role) => ({ role, permission })));
      await changed();
    },
  };
}

export type Permissions = ReturnType<typeof createPermissions>;
