import { errors } from 'oidc-provider';

import { DependencyUnavailableError } from '../shared/errors.js';
import { isConnectionError } from '../storage/db.js';

/**
 * oidc-provider turns any unexpected error into a 500 server_error. A dependency outage is not
 * a bug: it answers 503 temporarily_unavailable (RFC 6749 §4.1.2.1) with Retry-After, fast.
 */
export class TemporarilyUnavailable extends errors.OIDCProviderError {
  /**
   * Never sent to the application's redirect_uri: the person is in front of Tessera and gets a
   * 503 page they can retry, not an error the application would show as a failed sign-in.
   */
  override allow_redirect = false;

  constructor(readonly dependency: string) {
    super(503, 'temporarily_unavailable');
    this.expose = true;
    (this as { error_description?: string }).error_description = `${dependency} is unavailable; retry shortly`;
  }
}

export function toOidcError(error: unknown): unknown {
  if (error instanceof DependencyUnavailableError) return new TemporarilyUnavailable(error.dependency);
  if (isConnectionError(error)) return new TemporarilyUnavailable('postgres');
  return error;
}

/** Wraps every method of an adapter-like object so outages surface as 503s. */
export function withOutageErrors<T extends object>(target: T): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value = Reflect.get(object, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
        } catch (error) {
          throw toOidcError(error);
        }
      };
    },
  });
}
