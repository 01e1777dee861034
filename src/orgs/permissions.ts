import { ValidationError } from '../shared/errors.js';
import { createRecordCache } from '../shared/record-cache.js';
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

const splitKey = (key: string): [Role, string] => {
  const space = key.indexOf(' ');
  return [key.slice(0, space) as Role, key.slice(space + 1)];
};

/** A missed notification (Postgres listener reconnecting) is corrected within this long. */
const CACHE_TTL_MS = 60_000;

/**
 * Roles ↔ permissions, as data (seed 000's matrix is seeded by migration 0002). An API that
 * defines permissions gets them in its access tokens, limited to what the role holds.
 */
export function createPermissions(deps: { db: Db; changes: ChangeFeed }) {
  const { db } = deps;
  const readForApi = async (apiIdentifier: string, role: Role) =>
    (await countApiPermissions(db, apiIdentifier)) === 0 ? undefined : listApiPermissionsForRole(db, apiIdentifier, role);
  // Every person's access token asks for its API's permissions (refresh included), while the
  // matrix changes by hand: answers are kept in process and dropped on any change, here or on
  // another instance (the change feed); while Postgres is down they keep answering. Keyed by
  // `<role> <api identifier>`; undefined: the API defines no permissions.
  const cache = createRecordCache<string[]>({
    load: (key) => {
      const [role, apiIdentifier] = splitKey(key);
      return readForApi(apiIdentifier, role);
    },
    refreshMs: CACHE_TTL_MS,
    limit: 10_000,
  });
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
      return cache.get(`${role} ${apiIdentifier}`);
    },

    close: cache.close,

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
