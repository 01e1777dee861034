-- People sign in (issue 3): users with argon2id password hashes, their memberships in
-- organizations with a role, the role -> permission matrix of seed 000 as data (so an API's
-- permissions map to roles without code changes), and the organization each grant acts for.

create table users (
  id text primary key,
  email text not null check (length(email) between 3 and 320),
  name text not null check (length(name) between 1 and 200),
  -- argon2id PHC string (parameters inside); never the password.
  password_hash text not null,
  email_verified boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  suspended_at timestamptz
);
-- Email is unique whatever its case: Ada@Example.com and ada@example.com are one person.
create unique index users_email_lower on users (lower(email));

create table memberships (
  org_id text not null references organizations (id) on delete cascade,
  user_id text not null references users (id) on delete cascade,
  role text not null check (role in ('viewer', 'contributor', 'editor', 'admin')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (org_id, user_id)
);
create index memberships_user on memberships (user_id, org_id);

-- Which permissions each role holds. Seeded from seed 000's permission matrix; custom
-- permissions an API defines are mapped to roles by adding rows here.
create table role_permissions (
  role text not null check (role in ('viewer', 'contributor', 'editor', 'admin')),
  permission text not null check (permission ~ '^[a-z][a-z0-9_.:-]{0,99}$'),
  primary key (role, permission)
);

-- The permissions an API defines: its access tokens carry `permissions`, the role's
-- permissions restricted to these. An API without rows gets no `permissions` claim.
create table api_permissions (
  api_id text not null references apis (id) on delete cascade,
  permission text not null check (permission ~ '^[a-z][a-z0-9_.:-]{0,99}$'),
  primary key (api_id, permission)
);

-- The organization a person chose for a grant (one grant per person, client and session):
-- every token issued under the grant, refreshes included, carries this organization and the
-- person's current role in it.
create table grant_organizations (
  grant_id text primary key,
  user_id text not null references users (id) on delete cascade,
  org_id text not null references organizations (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index grant_organizations_user on grant_organizations (user_id);
create index grant_organizations_expires on grant_organizations (expires_at);

-- Suspending a person deletes their grants and refresh tokens at once.
create index oidc_payloads_account on oidc_payloads ((payload ->> 'accountId'))
  where model in ('Grant', 'RefreshToken');

-- Seed 000, "Permission matrix" and the editor's /users/me/permissions example.
insert into role_permissions (role, permission)
select role, permission
from (values
  ('requirements:read',        array['viewer', 'contributor', 'editor', 'admin']),
  ('requirements:create',      array['contributor', 'editor', 'admin']),
  ('requirements:update_own',  array['contributor', 'editor', 'admin']),
  ('requirements:update',      array['editor', 'admin']),
  ('requirements:delete',      array['editor', 'admin']),
  ('requirements:approve',     array['editor', 'admin']),
  ('users:read',               array['viewer', 'contributor', 'editor', 'admin']),
  ('users:invite',             array['admin']),
  ('users:manage_roles',       array['admin']),
  ('users:suspend',            array['admin']),
  ('settings:read',            array['admin']),
  ('settings:update',          array['admin']),
  ('integrations:configure',   array['admin']),
  ('api_keys:create',          array['contributor', 'editor', 'admin']),
  ('api_keys:read_own',        array['contributor', 'editor', 'admin']),
  ('api_keys:revoke_own',      array['contributor', 'editor', 'admin']),
  ('api_keys:read_all',        array['admin']),
  ('api_keys:revoke_all',      array['admin']),
  ('billing:manage',           array['admin'])
) as matrix (permission, roles), unnest(roles) as role;
