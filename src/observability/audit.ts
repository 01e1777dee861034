import type { Db } from '../storage/db.js';
import { insertAuditEvent } from '../storage/repositories/audit-events.js';

/** The closed list of things the audit trail records. */
export const AUDIT_ACTIONS = [
  'api.created',
  'organization.created',
  'client.created',
  'client.secret_rotated',
  'client.revoked',
  'client.auth_failed',
  'signing_key.rotated',
  'api_key.created',
  'api_key.rotated',
  'api_key.revoked',
  'api_key.auth_failed',
  'user.created',
  'user.suspended',
  'user.signed_in',
  'membership.added',
  'membership.role_changed',
  'membership.removed',
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditEvent {
  orgId: string | null;
  /** Who did it: `cli`, `user:<id>`, `client:<id>`, `api_key:<id>`, `system`. */
  actor: string;
  action: AuditAction;
  targetType?: string;
  targetId?: string;
  ip?: string;
  /** Never a secret: callers pass names, roles and ids only. */
  details?: Record<string, unknown>;
}

export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

export function createAuditLog(db: Db): AuditLog {
  return {
    async record(event) {
      await insertAuditEvent(db, event);
    },
  };
}
