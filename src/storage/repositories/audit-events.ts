import type { Db } from '../db.js';

export interface AuditEventRow {
  orgId: string | null;
  actor: string;
  action: string;
  targetType?: string;
  targetId?: string;
  ip?: string;
  details?: Record<string, unknown>;
}

export const insertAuditEvent = (db: Db, event: AuditEventRow) =>
  db
    .insertInto('audit_events')
    .values({
      org_id: event.orgId,
      actor: event.actor,
      action: event.action,
      target_type: event.targetType ?? null,
      target_id: event.targetId ?? null,
      ip: event.ip ?? null,
      details: JSON.stringify(event.details ?? {}),
    })
    .execute();

export const listAuditEvents = (db: Db, orgId: string, { limit, before }: { limit: number; before?: string }) => {
  let query = db
    .selectFrom('audit_events')
    .select(['id', 'occurred_at', 'actor', 'action', 'target_type', 'target_id', 'ip', 'details'])
    .where('org_id', '=', orgId)
    .orderBy('id', 'desc')
    .limit(limit);
  if (before) query = query.where('id', '<', before);
  return query.execute();
};
