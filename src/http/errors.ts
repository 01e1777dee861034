import type { Context, Next } from 'koa';

import type { Logger } from '../observability/logger.js';
import { AppError, DependencyUnavailableError } from '../shared/errors.js';
import { isConnectionError } from '../storage/db.js';

const isManagementPath = (path: string) => path.startsWith('/api/');

/**
 * Last line of defence: errors that escaped their endpoint become the documented shape —
 * RFC 6749 bodies on OAuth paths, `{error, message, status}` on the management API. A 5xx
 * never reveals its cause; the log line carries it, with the request id.
 */
export function errorHandler(logger: Logger) {
  return async function handleErrors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (caught) {
      const error = toAppError(caught);
      if (error instanceof DependencyUnavailableError) {
        ctx.state.unavailable = error.dependency;
        logger.warn({ dependency: error.dependency, requestId: ctx.state.requestId, path: ctx.path }, 'dependency unavailable');
      } else if (error.status >= 500) {
        logger.error({ err: caught, requestId: ctx.state.requestId, path: ctx.path }, 'request failed');
      }
      if (error instanceof DependencyUnavailableError) ctx.set('Retry-After', '5');
      ctx.status = error.status;
      ctx.set('Cache-Control', 'no-store');
      const message = error.expose ? error.message : 'The server could not complete the request';
      ctx.body = isManagementPath(ctx.path)
        ? { error: error.code, message, status: error.status, ...(error.details ? { errors: error.details } : {}) }
        : { error: oauthCode(error), error_description: message };
    }
  };
}

function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (isConnectionError(error)) return new DependencyUnavailableError('postgres', { cause: error });
  const status = (error as { status?: number; expose?: boolean })?.status;
  // Koa and its helpers throw http-errors with a 4xx status for bad input (e.g. malformed cookies).
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError('bad_request', (error as Error).message, status);
  }
  return new AppError('internal_error', 'internal error', 500);
}

function oauthCode(error: AppError): string {
  if (error.status === 503) return 'temporarily_unavailable';
  if (error.status >= 500) return 'server_error';
  if (error.status === 401) return 'invalid_client';
  return error.code === 'bad_request' ? 'invalid_request' : error.code;
}
