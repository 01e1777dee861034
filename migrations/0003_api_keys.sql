-- API keys (issue 4, seeds 000/002/003): long-lived organization credentials presented as
-- `Authorization: Bearer <prefix>_<keyId>.<secret>`. Only the SHA-256 digest of the secret is
-- kept; a key is found by its id (the public part of the key), never by its secret.
-- Deleting a key is soft (revoked_at): it stops authenticating at once but stays for the audit trail.

create table api_keys (
  id text primary key,
  org_id text not null references organizations (id),
  -- Who the key acts for (`sub` at introspection): a user id, or the credential/key that created it.
  owner text not null,
  name text not null check (length(name) between 1 and 200),
  description text check (description is null or length(description) <= 1000),
  role text not null check (role in ('viewer', 'contributor', 'editor', 'admin')),
  -- The configurable prefix the key was issued with (`tsr` by default), for secret scanners.
  prefix text not null,
  -- SHA-256 of the secret part, hex. The key itself is never stored.
  secret_digest text not null,
  -- CIDRs the key may be used from; empty means anywhere.
  allowed_ips text[] not null default '{}',
  created_by text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_org_created on api_keys (org_id, created_at, id);
create index api_keys_owner on api_keys (org_id, owner, created_at, id);
