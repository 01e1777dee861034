import type { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider';

import type { Memberships } from '../orgs/memberships.js';
import type { Permissions } from '../orgs/permissions.js';
import type { Role } from '../orgs/roles.js';
import type { Users } from '../orgs/users.js';
import type { GrantOrganizations } from './grant-organizations.js';
import { toOidcError } from './outage.js';

export interface AccountDeps {
  users: Users;
  memberships: Memberships;
  permissions: Permissions;
  grantOrganizations: GrantOrganizations;
}

/** Which scope releases which claim (OIDC Core §5.4); `org` and `role` come with `openid`. */
export const CLAIMS = {
  openid: ['sub', 'org', 'role'],
  email: ['email', 'email_verified'],
  profile: ['name'],
};

/** The organization a grant acts for and the person's current role there; null when they left it. */
async function actingAs(deps: AccountDeps, grantId: string | undefined, userId: string) {
  if (!grantId) return undefined;
  const orgId = await deps.grantOrganizations.find(grantId);
  if (!orgId) return undefined;
  const membership = await deps.memberships.find(orgId, userId);
  return membership ? { org: orgId, role: membership.role } : null;
}

/**
 * oidc-provider's findAccount: the person behind `sub`, or undefined — which makes it refuse the
 * code, the refresh token, the userinfo call and the browser session — when they are unknown,
 * suspended, or no longer a member of the organization their grant acts for.
 */
export function createFindAccount(deps: AccountDeps): FindAccount {
  return async (_ctx: KoaContextWithOIDC, sub: string, token?: { grantId?: string }): Promise<Account | undefined> => {
    try {
      const user = await deps.users.find(sub);
      if (!user || user.status !== 'active') return undefined;
      const acting = await actingAs(deps, token?.grantId, sub);
      if (acting === null) return undefined;
      return {
        accountId: user.id,
        claims: () => ({
          sub: user.id,
          email: user.email,
          email_verified: user.emailVerified,
          name: user.name,
          ...(acting ?? {}),
        }),
      };
    } catch (error) {
      throw toOidcError(error);
    }
  };
}

/** `org`, `role` and (for APIs that define them) `permissions` for a person's access token. */
export async function userTokenClaims(deps: AccountDeps, token: { accountId?: string; grantId?: string; aud?: string | string[] }) {
  if (!token.accountId) return undefined;
  try {
    const acting = await actingAs(deps, token.grantId, token.accountId);
    if (!acting) return undefined;
    const audience = Array.isArray(token.aud) ? token.aud[0] : token.aud;
    const permissions = audience ? await deps.permissions.forApi(audience, acting.role as Role) : undefined;
    return { ...acting, ...(permissions ? { permissions } : {}) };
  } catch (error) {
    throw toOidcError(error);
  }
}
