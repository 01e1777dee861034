import { z } from 'zod';

import type { ApiKey } from '../credentials/api-keys.js';
import type { Client } from '../credentials/clients.js';
import type { Membership } from '../orgs/memberships.js';
import { iso } from './io.js';

/**
 * What the management API answers, as strict zod schemas: a view can only carry the fields
 * listed here, so a secret or digest added to a domain type by mistake fails loudly instead of
 * reaching the wire.
 */
const timestamp = z.string().nullable();

export const credentialView = z
  .object({
    id: z.string(),
    client_id: z.string(),
    organization_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    role: z.string().nullable(),
    status: z.enum(['active', 'revoked']),
    created_at: z.string(),
    last_used_at: timestamp,
    revoked_at: timestamp,
  })
  .strict();

/** The one answer that carries a client secret: creation and rotation. */
export const credentialWithSecret = credentialView.extend({ client_secret: z.string() }).strict();

export const apiKeyView = z
  .object({
    id: z.string(),
    organization_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    role: z.string(),
    owner: z.string(),
    prefix: z.string(),
    allowed_ips: z.array(z.string()),
    status: z.enum(['active', 'expired', 'revoked']),
    created_by: z.string(),
    created_at: z.string(),
    expires_at: z.string(),
    last_used_at: timestamp,
    revoked_at: timestamp,
  })
  .strict();

/** The one answer that carries an API key: creation and rotation. */
export const apiKeyWithKey = apiKeyView.extend({ key: z.string() }).strict();

export const memberView = z
  .object({ user_id: z.string(), organization_id: z.string(), email: z.string(), name: z.string(), role: z.string(), status: z.string(), created_at: z.string(), updated_at: z.string() })
  .strict();

export const auditEventView = z
  .object({
    id: z.string(),
    occurred_at: z.string(),
    actor: z.string(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .strict();

const page = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item), next_cursor: z.string().nullable() }).strict();

// List answers' schemas, built once: zod compiles an object schema on its first parse, so a
// schema built per request paid that compilation on every list call (≈ 0.3–0.6 ms for 50 rows).
export const credentialPage = page(credentialView);
export const apiKeyPage = page(apiKeyView);
export const memberPage = page(memberView);
export const auditEventPage = page(auditEventView);

export const toCredentialView = (client: Client): z.input<typeof credentialView> => ({
  id: client.id,
  client_id: client.id,
  organization_id: client.orgId,
  name: client.name,
  description: client.description,
  role: client.role,
  status: client.status,
  created_at: client.createdAt.toISOString(),
  last_used_at: iso(client.lastUsedAt),
  revoked_at: iso(client.revokedAt),
});

export const toApiKeyView = (key: ApiKey): z.input<typeof apiKeyView> => ({
  id: key.id,
  organization_id: key.orgId,
  name: key.name,
  description: key.description,
  role: key.role,
  owner: key.owner,
  prefix: key.prefix,
  allowed_ips: key.allowedIps,
  status: key.status,
  created_by: key.createdBy,
  created_at: key.createdAt.toISOString(),
  expires_at: key.expiresAt.toISOString(),
  last_used_at: iso(key.lastUsedAt),
  revoked_at: iso(key.revokedAt),
});

/** A member from the membership and who the person is. */
export const toMemberView = (member: Membership & { email: string; name: string; status: string }): z.input<typeof memberView> => ({
  user_id: member.userId,
  organization_id: member.orgId,
  email: member.email,
  name: member.name,
  role: member.role,
  status: member.status,
  created_at: member.createdAt.toISOString(),
  updated_at: member.updatedAt.toISOString(),
});
