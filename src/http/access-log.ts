import type { Context, Next } from 'koa';

import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';

/** Known path shapes, so metrics labels stay few (ids and uids collapse to placeholders). */
function routeOf(path: string): string {
  if (path.startsWith('/interaction/')) return '/interaction/:uid';
  if (path.startsWith('/api/v1/')) return path.replace(/\/(org|cred|app|key|usr|user|api)_[A-Za-z0-9_-]+/g, '/:id').replace(/\/\d+(?=\/|$)/g, '/:n');
  if (path.startsWith('/authorize/')) return '/authorize/:uid';
  return path.length > 64 ? 'other' : path;
}

/**
 * One log line per request with the request id, method, route (never the query string, which
 * may carry codes or state), status and duration; and the request metrics.
 */
export function accessLog(logger: Logger, metrics: Metrics) {
  return async function logRequest(ctx: Context, next: Next) {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeOf(ctx.path);
      metrics.requests.inc({ method: ctx.method, route, status: String(ctx.status) });
      metrics.latency.observe({ method: ctx.method, route }, seconds);
      if (ctx.state.unavailable) metrics.dependencyErrors.inc({ dependency: String(ctx.state.unavailable) });
      logger.info({ requestId: ctx.state.requestId, method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1000) }, 'request');
    }
  };
}
