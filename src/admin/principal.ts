import type { Context, Next } from 'koa';

import type { ApiKeys } from '../credentials/api-keys.js';
import { looksLikeApiKey } from '../credentials/api-key-format.js';
import type { Clients } from '../credentials/clients.js';
import { looksLikeJwt, type AccessTokenVerifier } from '../keys/access-tokens.js';
import type { Memberships } from '../orgs/memberships.js';
import { isRole, type Role } from '../orgs/roles.js';
import { ForbiddenError, UnauthorizedError } from '../shared/errors.js';

/** Who is calling the management API, in which organization, with which role. */
export interface Principal {
  kind: 'user' | 'client' | 'api_key';
  /** The user id, client id or API key id. */
  id: string;
  orgId: string;
  role: Role;
  /** Whose API keys count as "own": the person, the credential, or the key's owner. */
  owner: string;
  /** How the audit trail names the caller. */
  actor: string;
}

export interface PrincipalDeps {
  audience: string;
  verifier: AccessTokenVerifier;
  apiKeys: ApiKeys;
  clients: Pick<Clients, 'find'>;
  memberships: Pick<Memberships, 'find'>;
}

/**
 * Authenticates every management call: `Authorization: Bearer <JWT for the management audience>`
 * or `Bearer <API key>`. Every refusal — unknown, expired, revoked, wrong address — gets the
 * same 401 body, so a caller learns nothing about which keys exist (issue 4).
 */
export function authenticate(deps: PrincipalDeps) {
  return async function authenticatePrincipal(ctx: Context, next: Next) {
    const match = /^bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
    const principal = match ? await resolve(deps, match[1]!, ctx.ip) : undefined;
    if (!principal) {
      ctx.set('WWW-Authenticate', 'Bearer realm="tessera"');
      throw new UnauthorizedError();
    }
    ctx.state.principal = principal;
    await next();
  };
}

async function resolve(deps: PrincipalDeps, bearer: string, ip: string): Promise<Principal | undefined> {
  if (looksLikeApiKey(bearer)) {
    const check = await deps.apiKeys.authenticate(bearer, { ip });
    if (!check.ok) return undefined;
    const key = check.apiKey;
    return { kind: 'api_key', id: key.id, orgId: key.orgId, role: key.role, owner: key.owner, actor: `api_key:${key.id}` };
  }
  if (!looksLikeJwt(bearer)) return undefined;
  const check = await deps.verifier.verify(bearer, { audience: deps.audience });
  if (!check.active) return undefined;
  const { claims } = check;
  if (claims.key_id) {
    const key = await deps.apiKeys.status(claims.key_id);
    if (!key || key.status !== 'active') return undefined;
    return { kind: 'api_key', id: key.id, orgId: key.orgId, role: key.role, owner: key.owner, actor: `api_key:${key.id}` };
  }
  if (claims.sub === claims.client_id) {
    // A machine credential: its organization and role are the ones it holds now.
    const client = await deps.clients.find(claims.client_id);
    if (!client || client.revokedAt || !isRole(client.role)) return undefined;
    return { kind: 'client', id: client.id, orgId: client.orgId, role: client.role, owner: client.id, actor: `client:${client.id}` };
  }
  // A person signed in through an application: the role is their current membership's.
  if (!claims.org) return undefined;
  const membership = await deps.memberships.find(claims.org, claims.sub);
  if (!membership) return undefined;
  return { kind: 'user', id: claims.sub, orgId: membership.orgId, role: membership.role, owner: claims.sub, actor: `user:${claims.sub}` };
}

export const principalOf = (ctx: Context): Principal => ctx.state.principal as Principal;

/** The organization in the path must be the caller's: anything else is 403 and changes nothing. */
export function requireOrg(ctx: Context, orgId: string): Principal {
  const principal = principalOf(ctx);
  if (principal.orgId !== orgId) throw new ForbiddenError();
  return principal;
}
