import type { Account, FindAccount, KoaContextWithOIDC } from 'oidc-provider';

import type { Memberships } from '../orgs/memberships.js';
import type { Permissions } from '../orgs/permissions.js';
import type { Users } from '../orgs/users.js';
import { requestScoped } from '../shared/request-scoped.js';
import type { GrantActor, GrantOrganizations } from './grant-organizations.js';
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

type Acting = GrantActor['acting'];
type Actor = { user: GrantActor['user'] | undefined; acting: Acting };
/** Nobody: an unknown person, or a grant whose person is gone. */
const NOBODY: Actor = { user: undefined, acting: undefined };

/**
 * One token request asks "who is this and what do they act as" two or three times (findAccount,
 * the access token's claims, the ID token's); the answer cannot change within a request, so it
 * is read once — one query joining the person, the grant's organization and the membership —
 * kept on the request's context and read afresh by the next one.
 */
const actorsOfRequest = requestScoped<Map<string, Promise<Actor>>>('tessera.actors-of-request');

const memoOf = (ctx: object) => actorsOfRequest.getOrCreate(ctx, () => new Map());

/** An actor read together with the refresh token (adapters/postgres.ts): this request asks no more. */
export function rememberActor(ctx: object, grantId: string, userId: string, actor: GrantActor | undefined) {
  const memo = memoOf(ctx);
  const key = `${grantId}:${userId}`;
  if (!memo.has(key)) memo.set(key, Promise.resolve(actor ?? NOBODY));
}

function actorOf(deps: AccountDeps, grantId: string | undefined, userId: string, ctx?: object): Promise<Actor> {
  if (!ctx) return lookUpActor(deps, grantId, userId);
  const memo = memoOf(ctx);
  const key = `${grantId ?? ''}:${userId}`;
  let actor = memo.get(key);
  if (!actor) {
    actor = lookUpActor(deps, grantId, userId);
    memo.set(key, actor);
  }
  return actor;
}

async function lookUpActor(deps: AccountDeps, grantId: string | undefined, userId: string): Promise<Actor> {
  if (!grantId) return { user: await deps.users.find(userId), acting: undefined };
  const actor = await deps.grantOrganizations.actor(grantId, userId);
  return actor ?? NOBODY;
}

/**
 * oidc-provider's findAccount: the person behind `sub`, or undefined — which makes it refuse the
 * code, the refresh token, the userinfo call and the browser session — when they are unknown,
 * suspended, or no longer a member of the organization their grant acts for.
 */
export function createFindAccount(deps: AccountDeps): FindAccount {
  return async (ctx: KoaContextWithOIDC, sub: string, token?: { grantId?: string }): Promise<Account | undefined> => {
    try {
      const { user, acting } = await actorOf(deps, token?.grantId, sub, ctx);
      if (!user || user.status !== 'active') return undefined;
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
    const { acting } = await actorOf(deps, token.grantId, token.accountId, ctx);
    if (!acting) return undefined;
    const audience = Array.isArray(token.aud) ? token.aud[0] : token.aud;
    const permissions = audience ? await deps.permissions.forApi(audience, acting.role) : undefined;
    return { ...acting, ...(permissions ? { permissions } : {}) };
  } catch (error) {
    throw toOidcError(error);
  }
}
