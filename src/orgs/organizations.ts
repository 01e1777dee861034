import type { Clock } from '../shared/clock.js';
import { NotFoundError } from '../shared/errors.js';
import { newId } from '../shared/random.js';
import type { AuditLog } from '../observability/audit.js';
import type { Db } from '../storage/db.js';
import { findOrganizationById, insertOrganization, listOrganizations } from '../storage/repositories/organizations.js';

export interface Organization {
  id: string;
  name: string;
  createdAt: Date;
}

const toOrganization = (row: { id: string; name: string; created_at: Date }): Organization => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
});

export function createOrganizations(deps: { db: Db; audit: AuditLog; clock: Clock }) {
  const { db, audit } = deps;
  return {
    async create(input: { name: string; actor: string }): Promise<Organization> {
      const row = await insertOrganization(db, { id: newId('org'), name: input.name });
      await audit.record({ orgId: row.id, actor: input.actor, action: 'organization.created', targetType: 'organization', targetId: row.id });
      return toOrganization(row);
    },
    async get(id: string): Promise<Organization> {
      const row = await findOrganizationById(db, id);
      if (!row) throw new NotFoundError('organization');
      return toOrganization(row);
    },
    async list(page: { limit: number; after?: string }): Promise<Organization[]> {
      return (await listOrganizations(db, page)).map(toOrganization);
    },
  };
}

export type Organizations = ReturnType<typeof createOrganizations>;
