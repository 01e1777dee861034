import type { Db } from '../storage/db.js';
import { listAuditEvents } from '../storage/repositories/audit-events.js';

export interface RecordedAuditEvent {
  id: string;
  occurredAt: Date;
  actor: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** Reading the audit trail of one organization, newest first (the writing side is audit.ts). */
export function createAuditTrail(db: Db) {
  return {
    async list(orgId: string, page: { limit: number; before?: string }): Promise<RecordedAuditEvent[]> {
      const rows = await listAuditEvents(db, orgId, page);
      return rows.map((row) => ({
        id: String(row.id),
        occurredAt: row.occurred_at,
        actor: row.actor,
        action: row.action,
        targetType: row.target_type,
        targetId: row.target_id,
        ip: row.ip,
        details: row.details,
      }));
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;
