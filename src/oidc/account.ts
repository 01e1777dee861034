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

type Acting = { org: string; role: Role } | null | undefined;

/**
 * One token request asks "who does this grant act as" two or three times (findAccount, the
 * access token's claims, the ID token's); the answer cannot change within a request, so it is
 * kept for the request (keyed by its context) and read afresh by the next one.
 */
const perRequest = new WeakMap<object, Map<string, Promise<Acting>>>();

function actingAs(deps: AccountDeps, grantId: string | undefined, userId: string, ctx?: object): Promise<Acting> {
  if (!ctx) return lookUpActing(deps, grantId, userId);
  let memo = perRequest.get(ctx);
  if (!memo) perRequest.set(ctx, (memo = new Map()));
  const key = `${grantId ?? ''}:${userId}`;
  let acting = memo.get(key);
  if (!acting) {
    acting = lookUpActing(deps, grantId, userId);
    memo.set(key, acting);
  }
  return acting;
}

/** The organization a grant acts for and the person's current role there; null when they left it. */
async function lookUpActing(deps: AccountDeps, grantId: string | undefined, userId: string): Promise<Acting> {
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
  return async (ctx: KoaContextWithOIDC, sub: string, token?: { grantId?: string }): Promise<Account | undefined> => {
    try {
      const user = await deps.users.find(sub);
      if (!user || user.status !== 'active') return undefined;
      const acting = await actingAs(deps, token?.grantId, sub, ctx);
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
export async function userTokenClaims(deps: AccountDeps, token: { accountId?: string; grantId?: string; aud?: string | string[] }, ctx?: object) {
  if (!token.accountId) return undefined;
  try {
    const acting = await actingAs(deps, token.grantId, token.accountId, ctx);
    if (!acting) return undefined;
    const audience = Array.isArray(token.aud) ? token.aud[0] : token.aud;
    const permissions = audience ? await deps.permissions.forApi(audience, acting.role) : undefined;
    return { ...acting, ...(permissions ? { permissions } : {}) };
  } catch (error) {
    throw toOidcError(error);
  }
}
