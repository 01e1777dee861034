import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';

import type { Clients } from '../credentials/clients.js';
import { ROLES } from '../orgs/roles.js';
import { ForbiddenError, NotFoundError } from '../shared/errors.js';
import { decodeCursor, encodeCursor, pageQuery, paginate, parse, readJson, reply } from './io.js';
import { can } from './policy.js';
import { requireOrg } from './principal.js';
import { credentialPage, credentialView, credentialWithSecret, toCredentialView } from './views.js';

const createBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    role: z.enum(ROLES),
    description: z.string().max(1000).optional(),
  })
  .strict();

const rotateBody = z
  .object({
    // Up to 30 days, like the CLI: a longer overlap defeats the point of rotating.
    grace_period_seconds: z.number().int().min(0).max(30 * 86400).optional(),
  })
  .strict();

/** Machine credentials (seed 001): OAuth clients for `client_credentials`, admins manage them. */
export function credentialRoutes(router: Router, deps: { clients: Clients }) {
  const { clients } = deps;
  const base = '/organizations/:org/credentials';

  /** The credential, when it is a machine credential of this organization; 404 otherwise. */
  async function ownCredential(orgId: string, id: string) {
    const client = await clients.get(id).catch((error: unknown) => {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    });
    if (!client || client.orgId !== orgId || client.type !== 'm2m') throw new NotFoundError('credential');
    return client;
  }

  const allowed = (ctx: Context, permission: 'credentials:read' | 'credentials:manage') => {
    const principal = requireOrg(ctx, ctx.params.org!);
    if (!can(principal.role, permission)) throw new ForbiddenError();
    return principal;
  };

  router.get(base, async (ctx) => {
    allowed(ctx, 'credentials:read');
    const query = parse(pageQuery, ctx.query);
    const rows = await clients.list(ctx.params.org!, { limit: query.limit + 1, after: decodeCursor(query.cursor), type: 'm2m' });
    const result = paginate(rows, query.limit, encodeCursor);
    reply(ctx, 200, credentialPage, { data: result.data.map(toCredentialView), next_cursor: result.next_cursor });
  });

  router.post(base, async (ctx) => {
    const principal = allowed(ctx, 'credentials:manage');
    const body = parse(createBody, await readJson(ctx));
    const { client, secret } = await clients.create({
      orgId: principal.orgId,
      type: 'm2m',
      name: body.name,
      role: body.role,
      description: body.description,
      actor: principal.actor,
      ip: ctx.ip,
    });
    ctx.set('Location', `/api/v1/organizations/${principal.orgId}/credentials/${client.id}`);
    reply(ctx, 201, credentialWithSecret, { ...toCredentialView(client), client_secret: secret! });
  });

  router.get(`${base}/:id`, async (ctx) => {
    allowed(ctx, 'credentials:read');
    reply(ctx, 200, credentialView, toCredentialView(await ownCredential(ctx.params.org!, ctx.params.id!)));
  });

  router.post(`${base}/:id/rotate`, async (ctx) => {
    const principal = allowed(ctx, 'credentials:manage');
    const body = parse(rotateBody, await readJson(ctx));
    const current = await ownCredential(principal.orgId, ctx.params.id!);
    if (current.revokedAt) throw new NotFoundError('credential');
    const { client, secret } = await clients.rotateSecret(current.id, { gracePeriodSeconds: body.grace_period_seconds ?? 0, actor: principal.actor, ip: ctx.ip });
    reply(ctx, 200, credentialWithSecret, { ...toCredentialView(client), client_secret: secret });
  });

  router.delete(`${base}/:id`, async (ctx) => {
    const principal = allowed(ctx, 'credentials:manage');
    const current = await ownCredential(principal.orgId, ctx.params.id!);
    await clients.revoke(current.id, { actor: principal.actor, ip: ctx.ip });
    ctx.status = 204; // revoked for good (seed 001); GET still shows it, with status revoked
  });
}
