import type Router from '@koa/router';
import { z } from 'zod';

import type { Permissions } from '../orgs/permissions.js';
import { ROLES } from '../orgs/roles.js';
import type { Users } from '../orgs/users.js';
import { reply } from './io.js';
import { can, MANAGEMENT_PERMISSIONS, type ManagementPermission } from './policy.js';
import { principalOf } from './principal.js';

const meView = z
  .object({
    id: z.string(),
    type: z.enum(['user', 'client', 'api_key']),
    email: z.string().nullable(),
    name: z.string().nullable(),
    organization_id: z.string(),
    role: z.string(),
    /** The API key or credential the call came through, when it was not a person's token. */
    via: z.object({ type: z.enum(['client', 'api_key']), id: z.string() }).strict().nullable(),
  })
  .strict();

const permissionsView = z
  .object({
    user_id: z.string(),
    organization_id: z.string(),
    role: z.string(),
    permissions: z.record(z.string(), z.record(z.string(), z.boolean())),
  })
  .strict();

/**
 * `GET /users/me` and `GET /users/me/permissions` (seed 000's example): who the caller is and,
 * for its role, every permission grouped by resource (`api_keys: {create: true, read_all: false}`).
 * The matrix comes from the role_permissions data (seed 000) plus the management API's own rules.
 */
export function userRoutes(router: Router, deps: { users: Pick<Users, 'find'>; permissions: Pick<Permissions, 'forRole'> }) {
  router.get('/users/me', async (ctx) => {
    const principal = principalOf(ctx);
    // An API key acts for its owner; a credential is its own subject.
    const subject = principal.kind === 'client' ? undefined : await deps.users.find(principal.owner);
    reply(ctx, 200, meView, {
      id: principal.kind === 'client' ? principal.id : principal.owner,
      type: principal.kind === 'client' ? 'client' : subject ? 'user' : principal.kind,
      email: subject?.email ?? null,
      name: subject?.name ?? null,
      organization_id: principal.orgId,
      role: principal.role,
      via: principal.kind === 'user' ? null : { type: principal.kind, id: principal.id },
    });
  });

  router.get('/users/me/permissions', async (ctx) => {
    const principal = principalOf(ctx);
    const held = new Set(await deps.permissions.forRole(principal.role));
    const known = new Set<string>(Object.keys(MANAGEMENT_PERMISSIONS));
    for (const role of ROLES) for (const permission of await deps.permissions.forRole(role)) known.add(permission);
    const grouped: Record<string, Record<string, boolean>> = {};
    for (const permission of [...known].sort()) {
      const [resource, action] = permission.includes(':') ? (permission.split(':', 2) as [string, string]) : [permission, 'allowed'];
      const granted = permission in MANAGEMENT_PERMISSIONS ? can(principal.role, permission as ManagementPermission) : held.has(permission);
      (grouped[resource] ??= {})[action] = granted;
    }
    reply(ctx, 200, permissionsView, {
      user_id: principal.kind === 'client' ? principal.id : principal.owner,
      organization_id: principal.orgId,
      role: principal.role,
      permissions: grouped,
    });
  });
}
