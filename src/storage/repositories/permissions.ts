import type { Db } from '../db.js';

export const listPermissionsForRole = async (db: Db, role: string) =>
  (await db.selectFrom('role_permissions').select('permission').where('role', '=', role).orderBy('permission').execute()).map((row) => row.permission);

/** The role's permissions among those the API defines (empty when it defines none). */
export const listApiPermissionsForRole = async (db: Db, apiIdentifier: string, role: string) =>
  (
    await db
      .selectFrom('api_permissions')
      .innerJoin('apis', 'apis.id', 'api_permissions.api_id')
      .innerJoin('role_permissions', 'role_permissions.permission', 'api_permissions.permission')
      .select('api_permissions.permission')
      .where('apis.identifier', '=', apiIdentifier)
      .where('role_permissions.role', '=', role)
      .orderBy('api_permissions.permission')
      .execute()
  ).map((row) => row.permission);

export const countApiPermissions = async (db: Db, apiIdentifier: string) =>
  Number(
    (
      await db
        .selectFrom('api_permissions')
        .innerJoin('apis', 'apis.id', 'api_permissions.api_id')
        .select((eb) => eb.fn.countAll<string>().as('count'))
        .where('apis.identifier', '=', apiIdentifier)
        .executeTakeFirstOrThrow()
    ).count,
  );

export const insertApiPermissions = (db: Db, apiId: string, permissions: string[]) =>
  permissions.length === 0
    ? Promise.resolve()
    : db
        .insertInto('api_permissions')
        .values(permissions.map((permission) => ({ api_id: apiId, permission })))
        .onConflict((oc) => oc.doNothing())
        .execute()
        .then(() => undefined);

export const insertRolePermissions = (db: Db, rows: Array<{ role: string; permission: string }>) =>
  rows.length === 0
    ? Promise.resolve()
    : db
        .insertInto('role_permissions')
        .values(rows)
        .onConflict((oc) => oc.doNothing())
        .execute()
        .then(() => undefined);
