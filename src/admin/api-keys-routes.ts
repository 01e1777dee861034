import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import type { ApiKey, ApiKeys } from '../credentials/api-keys.js';
import { API_KEY_ID } from '../credentials/api-key-format.js';
import { isValidAllowedIp } from '../credentials/ip-allow-list.js';
import { ROLES } from '../orgs/roles.js';
import { ForbiddenError, NotFoundError } from '../shared/errors.js';
import { decodeCursor, encodeCursor, pageQuery, paginate, parse, readJson, reply } from './io.js';
import { can, roleWithin } from './policy.js';
import { requireOrg, type Principal } from './principal.js';
import { apiKeyPage, apiKeyView, apiKeyWithKey, toApiKeyView } from './views.js';

const createBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES).optional(),
    // Seed 000: 30, 60, 90 or 365 days, nothing else.
    expires_in_days: z.union([z.literal(30), z.literal(60), z.literal(90), z.literal(365)]),
    description: z.string().max(1000).optional(),
    allowed_ips: z.array(z.string().max(64).refine(isValidAllowedIp, 'must be an IP address or CIDR range')).max(50).optional(),
  })
  .strict();

const emptyBody = z.object({}).strict();

/** API keys (seeds 000, 002, 003): contributors and editors manage their own, admins all. */
export function apiKeyRoutes(router: Router, deps: { apiKeys: ApiKeys }) {
  const { apiKeys } = deps;
  const base = '/organizations/:org/api-keys';

  const findKey = async (id: string) =>
    API_KEY_ID.test(id)
      ? apiKeys.get(id).catch((error: unknown) => {
          if (error instanceof NotFoundError) return undefined;
          throw error;
        })
      : undefined;

  /**
   * A key the caller may act on. Keys of another organization, unknown ids and (for callers
   * who only see their own) other people's keys are all the same 404: existence never leaks.
   */
  async function actionable(ctx: Context, principal: Principal, scope: 'revoke'): Promise<ApiKey> {
    const key = await findKey(ctx.params.id!);
    const seesAll = can(principal.role, `api_keys:${scope}_all`);
    if (!key || key.orgId !== principal.orgId || key.revokedAt || (!seesAll && key.owner !== principal.owner)) throw new NotFoundError('API key');
    if (!seesAll && !can(principal.role, `api_keys:${scope}_own`)) throw new ForbiddenError();
    return key;
  }

  router.get(base, async (ctx) => {
    const principal = requireOrg(ctx, ctx.params.org!);
    const all = can(principal.role, 'api_keys:read_all');
    if (!all && !can(principal.role, 'api_keys:read_own')) throw new ForbiddenError();
    const query = parse(pageQuery, ctx.query);
    const rows = await apiKeys.list(principal.orgId, { limit: query.limit + 1, after: decodeCursor(query.cursor), owner: all ? undefined : principal.owner });
    const result = paginate(rows, query.limit, encodeCursor);
    reply(ctx, 200, apiKeyPage, { data: result.data.map(toApiKeyView), next_cursor: result.next_cursor });
  });

  router.post(base, async (ctx) => {
    const principal = requireOrg(ctx, ctx.params.org!);
    if (!can(principal.role, 'api_keys:create')) throw new ForbiddenError();
    const body = parse(createBody, await readJson(ctx));
    const role = body.role ?? principal.role;
    if (!roleWithin(role, principal.role)) throw new ForbiddenError('An API key cannot hold a role above your own');
    const { apiKey, key } = await apiKeys.create({
      orgId: principal.orgId,
      owner: principal.owner,
      name: body.name,
      role,
      expiresInDays: body.expires_in_days,
      description: body.description,
      allowedIps: body.allowed_ips,
      actor: principal.actor,
      ip: ctx.ip,
    });
    ctx.set('Location', `/api/v1/organizations/${principal.orgId}/api-keys/${apiKey.id}`);
    reply(ctx, 201, apiKeyWithKey, { ...toApiKeyView(apiKey), key });
  });

  router.get(`${base}/:id`, async (ctx) => {
    const principal = requireOrg(ctx, ctx.params.org!);
    const all = can(principal.role, 'api_keys:read_all');
    if (!all && !can(principal.role, 'api_keys:read_own')) throw new ForbiddenError();
    const key = await findKey(ctx.params.id!);
    if (!key || key.orgId !== principal.orgId || (!all && key.owner !== principal.owner)) throw new NotFoundError('API key');
    reply(ctx, 200, apiKeyView, toApiKeyView(key));
  });

  router.post(`${base}/:id/rotate`, async (ctx) => {
    const principal = requireOrg(ctx, ctx.params.org!);
    parse(emptyBody, await readJson(ctx));
    const current = await actionable(ctx, principal, 'revoke');
    const { apiKey, key } = await apiKeys.rotate(current.id, { actor: principal.actor, ip: ctx.ip });
    reply(ctx, 200, apiKeyWithKey, { ...toApiKeyView(apiKey), key });
  });

  router.delete(`${base}/:id`, async (ctx) => {
    const principal = requireOrg(ctx, ctx.params.org!);
    const current = await actionable(ctx, principal, 'revoke');
    await apiKeys.revoke(current.id, { actor: principal.actor, ip: ctx.ip });
    ctx.status = 204; // soft delete: gone for authentication, kept for the audit trail
  });
}
