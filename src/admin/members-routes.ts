import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import type { Membership, Memberships } from '../orgs/memberships.js';
import { ROLES } from '../orgs/roles.js';
import type { Users } from '../orgs/users.js';
import { ForbiddenError, NotFoundError } from '../shared/errors.js';
import { parse, readJson, reply } from './io.js';
import { can } from './policy.js';
import { requireOrg } from './principal.js';
import { memberPage, memberView, toMemberView } from './views.js';

const userId = z.string().regex(/^[a-z]+_[A-Za-z0-9_-]{10,64}$/, 'is not a user id');
const addBody = z.object({ user_id: userId, role: z.enum(ROLES) }).strict();
const roleBody = z.object({ role: z.enum(ROLES) }).strict();
const listQuery = z
  .object({ limit: z.coerce.number().int().min(1).max(100).default(50), cursor: userId.optional() })
  .strict();

/** Members of an organization (issue 4): admins only. */
export function memberRoutes(router: Router, deps: { memberships: Memberships; users: Pick<Users, 'find'> }) {
  const { memberships, users } = deps;
  const base = '/organizations/:org/members';

  const asAdmin = (ctx: Context, permission: 'members:read' | 'members:manage') => {
    const principal = requireOrg(ctx, ctx.params.org!);
    if (!can(principal.role, permission)) throw new ForbiddenError();
    return principal;
  };

  async function view(membership: Membership) {
    const user = await users.find(membership.userId);
    return toMemberView({ ...membership, email: user?.email ?? '', name: user?.name ?? '', status: user?.status ?? 'unknown' });
  }

  const memberOf = async (orgId: string, id: string) => {
    const membership = userId.safeParse(id).success ? await memberships.find(orgId, id) : undefined;
    if (!membership) throw new NotFoundError('member');
    return membership;
  };

  router.get(base, async (ctx) => {
    const principal = asAdmin(ctx, 'members:read');
    const query = parse(listQuery, ctx.query);
    const rows = await memberships.listMembersOfOrg(principal.orgId, { limit: query.limit + 1, after: query.cursor });
    const data = rows.slice(0, query.limit);
    reply(ctx, 200, memberPage, {
      data: data.map(toMemberView),
      next_cursor: rows.length > query.limit ? data[data.length - 1]!.userId : null,
    });
  });

  router.post(base, async (ctx) => {
    const principal = asAdmin(ctx, 'members:manage');
    const body = parse(addBody, await readJson(ctx));
    // Only existing, active people can be added (inviting is a separate flow).
    const user = await users.find(body.user_id);
    if (!user || user.status !== 'active') throw new NotFoundError('user');
    const membership = await memberships.add({ orgId: principal.orgId, userId: user.id, role: body.role, actor: principal.actor, ip: ctx.ip });
    reply(ctx, 201, memberView, await view(membership));
  });

  router.patch(`${base}/:user`, async (ctx) => {
    const principal = asAdmin(ctx, 'members:manage');
    const body = parse(roleBody, await readJson(ctx));
    const target = await memberOf(principal.orgId, ctx.params.user!);
    // The organization must keep an admin: memberships refuses (409) demoting the last one, atomically.
    const updated = await memberships.setRole({ orgId: principal.orgId, userId: target.userId, role: body.role, actor: principal.actor, ip: ctx.ip });
    reply(ctx, 200, memberView, await view(updated));
  });

  router.delete(`${base}/:user`, async (ctx) => {
    const principal = asAdmin(ctx, 'members:manage');
    const target = await memberOf(principal.orgId, ctx.params.user!);
    await memberships.remove({ orgId: principal.orgId, userId: target.userId, actor: principal.actor, ip: ctx.ip });
    ctx.status = 204;
  });
}
