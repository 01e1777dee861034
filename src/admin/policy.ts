import { ROLES, type Role } from '../orgs/roles.js';

/**
 * Who may do what through the management API (issue 4, seed 000's matrix): admins manage every
 * credential, key and member of their organization; editors and contributors manage only the
 * API keys they own; viewers read the organization's credentials. Pure, so it is the one place
 * to read (and test) the rules.
 */
export const MANAGEMENT_PERMISSIONS = {
  'credentials:read': ['viewer', 'contributor', 'editor', 'admin'],
  'credentials:manage': ['admin'],
  'api_keys:create': ['contributor', 'editor', 'admin'],
  'api_keys:read_own': ['contributor', 'editor', 'admin'],
  'api_keys:revoke_own': ['contributor', 'editor', 'admin'],
  'api_keys:read_all': ['admin'],
  'api_keys:revoke_all': ['admin'],
  'members:read': ['admin'],
  'members:manage': ['admin'],
  'audit_events:read': ['admin'],
} as const satisfies Record<string, readonly Role[]>;

export type ManagementPermission = keyof typeof MANAGEMENT_PERMISSIONS;

export const can = (role: Role, permission: ManagementPermission): boolean =>
  (MANAGEMENT_PERMISSIONS[permission] as readonly Role[]).includes(role);

/** A caller may hand out a role no stronger than its own (no escalation through a new key). */
export const roleWithin = (role: Role, ceiling: Role): boolean => ROLES.indexOf(role) <= ROLES.indexOf(ceiling);
