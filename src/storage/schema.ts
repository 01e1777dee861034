import type { ColumnType, Generated } from 'kysely';

/**
 * Row types as they sit in Postgres. Domain modules map these to their own types; only
 * repositories see them. Timestamps are read as Date, written as Date or left to defaults.
 */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface ApisTable {
  id: string;
  identifier: string;
  name: string;
  token_lifetime_seconds: number;
  scopes: ColumnType<string[], string[] | undefined, string[]>;
  created_at: Timestamp;
}

export interface ClientsTable {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  type: 'm2m' | 'web' | 'spa' | 'native';
  role: string | null;
  secret_digest: string | null;
  previous_secret_digest: string | null;
  previous_secret_expires_at: NullableTimestamp;
  redirect_uris: ColumnType<string[], string[] | undefined, string[]>;
  post_logout_redirect_uris: ColumnType<string[], string[] | undefined, string[]>;
  first_party: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: Json<Record<string, unknown>>;
  private_jwk_sealed: string;
  created_at: Timestamp;
  /** When it stopped signing; null while it is the active key. */
  retired_at: NullableTimestamp;
  /** When it leaves the JWKS: after every token it signed has expired. */
  expires_at: NullableTimestamp;
}

export interface OidcPayloadsTable {
  model: string;
  id: string;
  payload: Json<Record<string, unknown>>;
  grant_id: string | null;
  uid: string | null;
  user_code: string | null;
  expires_at: NullableTimestamp;
  consumed_at: NullableTimestamp;
}

export interface AuditEventsTable {
  id: Generated<string>;
  occurred_at: Timestamp;
  org_id: string | null;
  actor: string;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  details: Json<Record<string, unknown>>;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string;
  email_verified: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  suspended_at: NullableTimestamp;
}

export interface MembershipsTable {
  org_id: string;
  user_id: string;
  role: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface RolePermissionsTable {
  role: string;
  permission: string;
}

export interface ApiPermissionsTable {
  api_id: string;
  permission: string;
}

export interface GrantOrganizationsTable {
  grant_id: string;
  user_id: string;
  org_id: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  org_id: string;
  owner: string;
  name: string;
  description: string | null;
  role: string;
  prefix: string;
  secret_digest: string;
  allowed_ips: ColumnType<string[], string[] | undefined, string[]>;
  created_by: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

export interface SchemaMigrationsTable {
  name: string;
  applied_at: Timestamp;
}

export interface Database {
  organizations: OrganizationsTable;
  apis: ApisTable;
  clients: ClientsTable;
  signing_keys: SigningKeysTable;
  oidc_payloads: OidcPayloadsTable;
  audit_events: AuditEventsTable;
  schema_migrations: SchemaMigrationsTable;
  api_keys: ApiKeysTable;
  users: UsersTable;
  memberships: MembershipsTable;
  role_permissions: RolePermissionsTable;
  api_permissions: ApiPermissionsTable;
  grant_organizations: GrantOrganizationsTable;
}
