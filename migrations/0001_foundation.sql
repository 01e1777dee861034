-- Foundation: the APIs tokens are for, organizations, clients (machine credentials and
-- applications) with secret digests, signing keys sealed at rest, the oidc-provider artifacts
-- that must survive a Redis restart (grants, refresh tokens), and the audit trail.

create table organizations (
  id text primary key,
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);

create table apis (
  id text primary key,
  identifier text not null unique,
  name text not null,
  token_lifetime_seconds integer not null check (token_lifetime_seconds > 0),
  scopes text[] not null default '{}',
  created_at timestamptz not null default now()
);

create table clients (
  id text primary key,
  org_id text not null references organizations (id),
  name text not null,
  description text,
  type text not null check (type in ('m2m', 'web', 'spa', 'native')),
  role text,
  -- SHA-256 of the secret, hex; null for public clients. The secret itself is never stored.
  secret_digest text,
  -- The secret replaced by the last rotation, accepted until previous_secret_expires_at.
  previous_secret_digest text,
  previous_secret_expires_at timestamptz,
  redirect_uris text[] not null default '{}',
  post_logout_redirect_uris text[] not null default '{}',
  first_party boolean not null default true,
  created_by text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index clients_org_created on clients (org_id, created_at, id);

create table signing_keys (
  kid text primary key,
  alg text not null,
  public_jwk jsonb not null,
  -- AES-256-GCM under the key-encryption key: iv.tag.ciphertext, base64url.
  private_jwk_sealed text not null,
  created_at timestamptz not null default now(),
  retired_at timestamptz,
  expires_at timestamptz
);

create table oidc_payloads (
  model text not null,
  id text not null,
  payload jsonb not null,
  grant_id text,
  uid text,
  user_code text,
  expires_at timestamptz,
  consumed_at timestamptz,
  primary key (model, id)
);
create index oidc_payloads_grant on oidc_payloads (grant_id) where grant_id is not null;
create index oidc_payloads_expires on oidc_payloads (expires_at);

create table audit_events (
  id bigserial primary key,
  occurred_at timestamptz not null default now(),
  org_id text,
  actor text not null,
  action text not null,
  target_type text,
  target_id text,
  ip text,
  details jsonb not null default '{}'
);
create index audit_events_org on audit_events (org_id, id);
