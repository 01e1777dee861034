import Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import compose from 'koa-compose';

import type { ApiKeys } from '../credentials/api-keys.js';
import type { Clients } from '../credentials/clients.js';
import { rejectLimited, setRateLimitHeaders, type Limiter } from '../http/rate-limit.js';
import type { AccessTokenVerifier } from '../keys/access-tokens.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { Memberships } from '../orgs/memberships.js';
import type { Permissions } from '../orgs/permissions.js';
import type { Users } from '../orgs/users.js';
import { AppError, NotFoundError } from '../shared/errors.js';
import { apiKeyRoutes } from './api-keys-routes.js';
import { auditRoutes } from './audit-routes.js';
import { credentialRoutes } from './credentials-routes.js';
import { memberRoutes } from './members-routes.js';
import { authenticate, principalOf } from './principal.js';
import { userRoutes } from './users-routes.js';

export interface ManagementDeps {
  /** `<ISSUER>/api/v1`: the audience a bearer JWT must name. */
  audience: string;
  verifier: AccessTokenVerifier;
  clients: Clients;
  apiKeys: ApiKeys;
  users: Users;
  memberships: Memberships;
  permissions: Permissions;
  auditTrail: AuditTrail;
  /** Calls per organization (RATE_LIMIT_MANAGEMENT_PER_MINUTE). */
  limit: Limiter;
  /** Failed authentications per address (RATE_LIMIT_ANONYMOUS_PER_MINUTE): key and token guessing. */
  anonymousLimit: Limiter;
}

/**
 * The management API under /api/v1, in order:
 *  1. authenticate the bearer (JWT for the management audience, or an API key) — before
 *     routing, so an unauthenticated caller cannot even map which paths exist;
 *  2. charge the caller's organization one call (429 with X-RateLimit-* when spent);
 *  3. route; each route checks organization and role, parses its input with zod and answers
 *     through a strict output schema;
 *  4. unknown paths and methods answer in the management error shape.
 */
export function createManagementApi(deps: ManagementDeps): Middleware {
  const router = new Router({ prefix: '/api/v1' });
  userRoutes(router, deps);
  credentialRoutes(router, deps);
  apiKeyRoutes(router, deps);
  memberRoutes(router, deps);
  auditRoutes(router, deps);

  const dispatch = compose([router.routes() as Middleware, router.allowedMethods() as Middleware]);
  const auth = authenticate(deps);

  async function limitOrganization(ctx: Context, next: Next) {
    const state = await deps.limit.consume(principalOf(ctx).orgId);
    if (state.limited) return rejectLimited(ctx, state, 'management');
    setRateLimitHeaders(ctx, state);
    await next();
  }

  return async function managementApi(ctx: Context, next: Next) {
    if (ctx.path !== '/api/v1' && !ctx.path.startsWith('/api/v1/')) return next();
    ctx.set('Cache-Control', 'no-store');
    // An address that keeps failing to authenticate is refused before any lookup.
    const failures = await deps.anonymousLimit.peek(ctx.ip);
    if (failures && failures.remaining <= 0) {
      deps.anonymousLimit.noteRejected();
      return rejectLimited(ctx, { ...failures, limited: true }, 'management');
    }
    try {
      await authenticated(ctx);
    } catch (error) {
      if (error instanceof AppError && error.status === 401) await deps.anonymousLimit.consume(ctx.ip);
      throw error;
    }
  };

  async function authenticated(ctx: Context) {
    await auth(ctx, () =>
      limitOrganization(ctx, async () => {
        await dispatch(ctx, async () => {});
        if (ctx.status === 405 && !ctx.body) throw new AppError('method_not_allowed', `${ctx.method} is not allowed here`, 405);
        if (ctx.status === 404 && ctx.body === undefined) throw new NotFoundError('resource');
      }),
    );
  }
}
