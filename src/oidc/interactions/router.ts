import { createHash } from 'node:crypto';

import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';
import { errors, type InteractionResults } from 'oidc-provider';
import { z } from 'zod';

import type { Clients } from '../../credentials/clients.js';
import type { Limiter } from '../../http/rate-limit.js';
import type { AuditLog } from '../../observability/audit.js';
import type { Logger } from '../../observability/logger.js';
import type { Memberships } from '../../orgs/memberships.js';
import type { Users } from '../../orgs/users.js';
import { AppError } from '../../shared/errors.js';
import type { GrantOrganizations } from '../grant-organizations.js';
import { BadForm, createCsrf, csrfField, readForm } from './forms.js';
import { decideOrganization } from './organization.js';
import { INVALID_CREDENTIALS, SUSPENDED, consentPage, errorPage, loginPage, organizationPage } from './views.js';

export interface InteractionDeps {
  provider: Provider;
  users: Users;
  memberships: Memberships;
  clients: Clients;
  grantOrganizations: GrantOrganizations;
  audit: AuditLog;
  logger: Logger;
  /** Server secret the CSRF tokens are derived from. */
  csrfKey: string;
  /** Failed sign-ins per email and address (brute force). */
  loginFailures: Limiter;
}

type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** Stops a handler with a page instead of a JSON error: these routes are read by people. */
class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}

const EXPIRED = new PageError(400, 'Sign-in expired', 'This sign-in page has expired or was already used. Go back to the application and sign in again.');

const loginForm = z.object({ csrf: csrfField, email: z.string().trim().min(1).max(320), password: z.string().min(1).max(1024) });
const organizationForm = z.object({ csrf: csrfField, organization: z.string().min(1).max(100) });
const consentForm = z.object({ csrf: csrfField, organization: z.string().min(1).max(100), decision: z.enum(['allow', 'deny']) });

/**
 * Login, organization choice and consent under /interaction/:uid (oidc-provider hands the
 * browser here when a prompt needs a person). Each step:
 *  1. loads the interaction (bound to this browser by oidc-provider's cookie);
 *  2. checks the step matches the pending prompt and, for posts, the CSRF token;
 *  3. renders a page, or finishes the interaction and sends the browser back to /authorize.
 */
export function createInteractionRouter(deps: InteractionDeps): Middleware {
  const { provider } = deps;
  const csrf = createCsrf(deps.csrfKey);
  const router = new Router({ prefix: '/interaction/:uid' });

  async function load(ctx: Context, prompt?: 'login' | 'consent'): Promise<Details> {
    let details: Details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (error) {
      if (error instanceof errors.SessionNotFound) throw EXPIRED;
      throw error;
    }
    if (details.uid !== ctx.params.uid) throw EXPIRED;
    if (prompt && details.prompt.name !== prompt) throw new PageError(400, 'Step already done', 'This step of the sign-in is already done. Go back to the application and sign in again.');
    return details;
  }

  async function form<S extends z.ZodType<{ csrf: string }>>(ctx: Context, details: Details, schema: S): Promise<z.infer<S>> {
    const input = await readForm(ctx, schema);
    if (!csrf.verify(details.uid, input.csrf)) throw new PageError(403, 'Request refused', 'The form could not be verified. Reload the page and try again.');
    return input;
  }

  const clientName = async (details: Details) => (await deps.clients.find(String(details.params.client_id)))?.name ?? 'the application';

  async function finish(ctx: Context, result: InteractionResults, merge: boolean) {
    await provider.interactionFinished(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.respond = false;
  }

  const render = (ctx: Context, status: number, body: string) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  };

  const loginPageFor = async (details: Details, extra: { email?: string; error?: string } = {}) =>
    loginPage({
      uid: details.uid,
      csrf: csrf.tokenFor(details.uid),
      clientName: await clientName(details),
      email: extra.email ?? (typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined),
      error: extra.error,
    });

  /**
   * After login: decide the organization (page when the person must choose), then consent
   * (page for third-party clients), then record the grant and its organization.
   */
  async function afterLogin(ctx: Context, details: Details, input: { submitted?: string; consented?: boolean } = {}) {
    const accountId = details.session?.accountId;
    if (!accountId) throw EXPIRED;
    const options = await deps.memberships.listForUser(accountId);
    const requested = typeof details.params.organization === 'string' ? details.params.organization : undefined;
    const current = details.grantId ? await deps.grantOrganizations.find(details.grantId) : undefined;
    const decision = decideOrganization({ options, requested, submitted: input.submitted, current });

    if (decision.kind === 'refused') return finish(ctx, { error: 'access_denied', error_description: decision.description }, false);
    if (decision.kind === 'choose') {
      const error = input.submitted ? 'Choose one of your organizations.' : undefined;
      return render(ctx, error ? 400 : 200, organizationPage({ uid: details.uid, csrf: csrf.tokenFor(details.uid), clientName: await clientName(details), organizations: decision.options, error }));
    }

    const client = await deps.clients.find(String(details.params.client_id));
    if (client && !client.firstParty && !input.consented) {
      const missing = details.prompt.details as { missingOIDCScope?: string[]; missingResourceScopes?: Record<string, string[]> };
      const scopes = missing.missingOIDCScope ?? String(details.params.scope ?? '').split(' ').filter(Boolean);
      return render(
        ctx,
        200,
        consentPage({
          uid: details.uid,
          csrf: csrf.tokenFor(details.uid),
          clientName: client.name,
          orgName: decision.option.orgName,
          organization: decision.option.orgId,
          scopes: scopes.filter((scope) => scope !== 'openid'),
          apis: Object.keys(missing.missingResourceScopes ?? {}),
        }),
      );
    }
    const grantId = await saveGrant(details, accountId, decision.option.orgId);
    return finish(ctx, { consent: { grantId } }, true);
  }

  /**
   * Grants what the request asked for. A grant acts for one organization: choosing another one
   * starts a new grant (carrying what was granted before), so refresh tokens already issued keep
   * the organization they were issued for.
   */
  async function saveGrant(details: Details, accountId: string, orgId: string): Promise<string> {
    const clientId = String(details.params.client_id);
    const existing = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    let grant = existing;
    if (existing && (await deps.grantOrganizations.find(existing.jti)) !== orgId) {
      grant = new provider.Grant({ accountId, clientId });
      if (existing.openid?.scope) grant.addOIDCScope(existing.openid.scope);
      if (existing.openid?.claims) grant.addOIDCClaims(existing.openid.claims);
      for (const [indicator, scope] of Object.entries(existing.resources ?? {})) if (scope) grant.addResourceScope(indicator, scope);
    }
    grant ??= new provider.Grant({ accountId, clientId });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await deps.grantOrganizations.record(grantId, accountId, orgId);
    return grantId;
  }

  router.get('/', async (ctx) => {
    const details = await load(ctx);
    if (details.prompt.name === 'login') return render(ctx, 200, await loginPageFor(details));
    if (details.prompt.name === 'consent') return afterLogin(ctx, details);
    throw EXPIRED;
  });

  router.post('/login', async (ctx) => {
    const details = await load(ctx, 'login');
    const input = await form(ctx, details, loginForm);
    const limitKey = `${createHash('sha256').update(input.email.toLowerCase()).digest('base64url')}:${ctx.ip}`;
    const limit = await deps.loginFailures.peek(limitKey);
    if (limit && limit.remaining <= 0) {
      deps.loginFailures.noteRejected();
      ctx.set('Retry-After', String(limit.resetInSeconds));
      return render(ctx, 429, await loginPageFor(details, { email: input.email, error: `Too many failed attempts. Try again in ${Math.ceil(limit.resetInSeconds / 60)} minutes.` }));
    }
    const user = await deps.users.verifyPassword(input.email, input.password);
    if (!user) {
      await deps.loginFailures.consume(limitKey);
      return render(ctx, 401, await loginPageFor(details, { email: input.email, error: INVALID_CREDENTIALS }));
    }
    if (user.status !== 'active') return render(ctx, 403, await loginPageFor(details, { email: input.email, error: SUSPENDED }));
    await deps.audit.record({ orgId: null, actor: `user:${user.id}`, action: 'user.signed_in', targetType: 'user', targetId: user.id, ip: ctx.ip, details: { client_id: String(details.params.client_id) } });
    return finish(ctx, { login: { accountId: user.id, amr: ['pwd'] } }, false);
  });

  router.post('/organization', async (ctx) => {
    const details = await load(ctx, 'consent');
    const input = await form(ctx, details, organizationForm);
    return afterLogin(ctx, details, { submitted: input.organization });
  });

  router.post('/consent', async (ctx) => {
    const details = await load(ctx, 'consent');
    const input = await form(ctx, details, consentForm);
    if (input.decision === 'deny') return finish(ctx, { error: 'access_denied', error_description: 'the user denied the request' }, false);
    return afterLogin(ctx, details, { submitted: input.organization, consented: true });
  });

  async function showErrors(ctx: Context, next: () => Promise<unknown>) {
    if (!ctx.path.startsWith('/interaction/')) return next();
    try {
      await next();
    } catch (error) {
      if (error instanceof PageError) return render(ctx, error.status, errorPage({ title: error.title, message: error.message }));
      if (error instanceof BadForm) return render(ctx, 400, errorPage({ title: 'Request refused', message: error.message }));
      if (error instanceof AppError && error.status === 503) return render(ctx, 503, errorPage({ title: 'Try again shortly', message: 'The service is briefly unavailable. Try again in a moment.' }));
      if (error instanceof AppError && error.expose) return render(ctx, error.status, errorPage({ title: 'Request refused', message: error.message }));
      deps.logger.error({ err: error, requestId: ctx.state.requestId }, 'interaction failed');
      return render(ctx, 500, errorPage({ title: 'Something went wrong', message: 'The sign-in could not be completed. Go back to the application and try again.' }));
    }
  }

  const pages = compose([showErrors, router.routes() as Middleware, router.allowedMethods() as Middleware]) as Middleware;
  // Everything else (the token path above all) skips the router's matching entirely.
  return (ctx, next) => (ctx.path.startsWith('/interaction/') ? pages(ctx, next) : next());
}
