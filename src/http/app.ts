import Koa from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';

import type { Logger } from '../observability/logger.js';
import { errorHandler } from './errors.js';
import { healthRoutes, type ReadinessChecks } from './health.js';
import { jwksRoutes } from './jwks.js';
import { requestId } from './request-id.js';

export interface HttpAppDeps {
  logger: Logger;
  provider: Provider;
  cookieKeys: string[];
  trustProxy: boolean;
  readiness: ReadinessChecks;
  jwks: () => { body: string; etag: string };
  jwksPath: string;
  /** Runs before oidc-provider on its endpoints (token-body shim). */
  beforeProvider: Koa.Middleware[];
  /** Tessera's own routers (management API, interactions, console). */
  routers?: Koa.Middleware[];
}

/**
 * The request pipeline, in order:
 *  1. request id (every log line and answer carries it);
 *  2. error shaping (OAuth or management body, no cause leaks);
 *  3. health and JWKS (cheap, no session);
 *  4. Tessera's routers;
 *  5. the shim that normalises OAuth request bodies;
 *  6. oidc-provider, mounted at the root so its paths are the ones in DESIGN.md.
 */
export function createHttpApp(deps: HttpAppDeps): Koa {
  const app = new Koa({ proxy: deps.trustProxy });
  // ctx.cookies is created by this app, so oidc-provider's signed cookies use these keys.
  app.keys = deps.cookieKeys;
  app.silent = true;

  app.use(requestId);
  app.use(errorHandler(deps.logger));
  app.use(healthRoutes(deps.readiness).routes());
  app.use(jwksRoutes(deps.jwksPath, deps.jwks).routes());
  for (const router of deps.routers ?? []) app.use(router);
  for (const middleware of deps.beforeProvider) app.use(middleware);
  app.use(compose(deps.provider.middleware as Koa.Middleware[]));
  return app;
}
