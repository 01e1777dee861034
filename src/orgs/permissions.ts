import { ValidationError } from '../shared/errors.js';
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

/**
 * Roles ↔ permissions, as data (seed 000's matrix is seeded by migration 0002). An API that
 * defines permissions gets them in its access tokens, limited to what the role holds.
 */
export function createPermissions(deps: { db: Db }) {
  const { db } = deps;

  const check = (permissions: string[]) => {
    const bad = permissions.filter((permission) => !PERMISSION.test(permission));
    if (bad.length > 0) throw new ValidationError('Validation failed', bad.map(() => ({ field: 'permissions', message: 'must be lowercase letters, digits and _.:-' })));
  };

  return {
    forRole(role: Role): Promise<string[]> {
      return listPermissionsForRole(db, role);
    },

    /** The `permissions` claim for a token to `apiIdentifier`; undefined when the API defines none. */
    async forApi(apiIdentifier: string, role: Role): Promise<string[] | undefined> {
      if ((await countApiPermissions(db, apiIdentifier)) === 0) return undefined;
      return listApiPermissionsForRole(db, apiIdentifier, role);
    },

    async defineForApi(apiId: string, permissions: string[]): Promise<void> {
      check(permissions);
      await insertApiPermissions(db, apiId, permissions);
    },

    /** Maps a (possibly new, API-specific) permission to roles. */
    async grantToRoles(permission: string, roles: Role[]): Promise<void> {
      check([permission]);
      await insertRolePermissions(db, roles.map((role) => ({ role, permission })));
    },
  };
}

export type Permissions = ReturnType<typeof createPermissions>;
