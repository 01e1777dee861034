import type Router from '@koa/router';
import { z } from 'zod';

import type { AuditTrail } from '../observability/audit-trail.js';
import { ForbiddenError } from '../shared/errors.js';
import { parse, reply } from './io.js';
import { can } from './policy.js';
import { requireOrg } from './principal.js';
import { auditEventPage } from './views.js';

/** The cursor is the id of the last event seen: events are listed newest first by id. */
const query = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().regex(/^[1-9][0-9]{0,18}$/, 'is not a cursor this API returned').optional(),
  })
  .strict();

/** Who did what (issue 4): every create, rotate, revoke, role change and failed credential use. */
export function auditRoutes(router: Router, deps: { auditTrail: AuditTrail }) {
  router.get('/organizations/:org/audit-events', async (ctx) => {
    const principal = requireOrg(ctx, ctx.params.org!);
    if (!can(principal.role, 'audit_events:read')) throw new ForbiddenError();
    const { limit, cursor } = parse(query, ctx.query);
    const rows = await deps.auditTrail.list(principal.orgId, { limit: limit + 1, before: cursor });
    const data = rows.slice(0, limit);
    reply(ctx, 200, auditEventPage, {
      data: data.map((event) => ({
        id: event.id,
        occurred_at: event.occurredAt.toISOString(),
        actor: event.actor,
        action: event.action,
        target_type: event.targetType,
        target_id: event.targetId,
        ip: event.ip,
        details: event.details,
      })),
      next_cursor: rows.length > limit ? data[data.length - 1]!.id : null,
    });
  });
}
