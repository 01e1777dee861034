import Koa from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';

import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { accessLog } from './access-log.js';
import { clientIp, parseTrustedProxies } from './client-ip.js';
import { errorHandler } from './errors.js';
import { healthRoutes, type ReadinessChecks } from './health.js';
import { jwksRoutes } from './jwks.js';
import { requestId } from './request-id.js';
import { securityHeaders } from './security-headers.js';

export interface HttpAppDeps {
  logger: Logger;
  metrics: Metrics;
  https: boolean;
  provider: Provider;
  cookieKeys: string[];
  trustedProxies: readonly string[];
  readiness: ReadinessChecks;
  jwks: () => { body: string; etag: string };
  jwksPath: string;
  /** Runs before oidc-provider on its endpoints (token-body shim). */
  beforeProvider: Koa.Middleware[];
  /** Token, introspection and revocation: their POSTs take the short path (no routers). */
  oauthPaths: readonly string[];
  /** Tessera's own routers (management API, interactions, console). */
  routers?: Koa.Middleware[];
}

/**
 * The request pipeline, in order:
 *  1. request id (every log line and answer carries it), access log and metrics;
 *  2. error shaping (OAuth or management body, no cause leaks);
 *  3. security headers (and no-store on anything carrying a token or secret);
 *  4. health, metrics and JWKS (cheap, no session);
 *  5. Tessera's routers;
 *  6. the shim that normalises OAuth request bodies, then rate limits;
 *  7. oidc-provider, mounted at the root so its paths are the ones in DESIGN.md.
 * A POST to the token, introspection or revocation endpoint — machine traffic, by far the most
 * frequent request — goes from 3 straight to 6: no router can answer it, so none is walked.
 */
export function createHttpApp(deps: HttpAppDeps): Koa {
  // Koa's own proxy mode believes X-Forwarded-* from anyone; it is on only when proxies are
  // configured (for X-Forwarded-Proto), and clientIp() decides the address from trusted hops only.
  const app = new Koa({ proxy: deps.trustedProxies.length > 0 });
  // ctx.cookies is created by this app, so oidc-provider's signed cookies use these keys.
  app.keys = deps.cookieKeys;
  app.silent = true;

  app.use(clientIp(parseTrustedProxies(deps.trustedProxies)));
  app.use(requestId);
  app.use(accessLog(deps.logger, deps.metrics));
  app.use(errorHandler(deps.logger));
  app.use(securityHeaders({ https: deps.https }));
  const provider = compose(deps.provider.middleware as Koa.Middleware[]);
  const callProvider: Koa.Middleware = async (ctx, next) => {
    await provider(ctx, next);
    if (ctx.status === 503) {
      ctx.set('Retry-After', '5');
      const description = String((ctx.body as { error_description?: string } | undefined)?.error_description ?? '');
      ctx.state.unavailable ??= description.startsWith('redis') ? 'redis' : 'postgres';
    }
  };
  const oauthPost = compose([...deps.beforeProvider, callProvider]);
  const everythingElse = compose([
    // Health, metrics and JWKS are GETs.
    ...([healthRoutes(deps.readiness).routes(), jwksRoutes(deps.jwksPath, deps.jwks).routes()] as Koa.Middleware[]).map(onlyForReads),
    metricsRoute(deps.metrics),
    ...(deps.routers ?? []),
    ...deps.beforeProvider,
    callProvider,
  ] as Koa.Middleware[]);
  const oauthPaths = new Set(deps.oauthPaths);
  app.use((ctx, next) => (ctx.method === 'POST' && oauthPaths.has(ctx.path) ? oauthPost(ctx, next) : everythingElse(ctx, next)));
  return app;
}

const onlyForReads = (middleware: Koa.Middleware): Koa.Middleware => (ctx, next) =>
  ctx.method === 'GET' || ctx.method === 'HEAD' ? middleware(ctx, next) : next();

function metricsRoute(metrics: Metrics): Koa.Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' || ctx.path !== '/metrics') return next();
    ctx.set('Cache-Control', 'no-store');
    ctx.type = metrics.registry.contentType;
    ctx.body = await metrics.registry.metrics();
  };
}
