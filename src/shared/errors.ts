/**
 * Base of every error Tessera raises on purpose. `code` is stable and machine-readable,
 * `status` is the HTTP status, and `expose` says whether `message` may reach the caller
 * (5xx messages never do: details go to the log with the request id).
 */
export class AppError extends Error {
  readonly expose: boolean;

  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly details?: ReadonlyArray<{ field: string; message: string }>,
  ) {
    super(message);
    this.name = new.target.name;
    this.expose = status < 500;
  }
}

export class NotFoundError extends AppError {
  constructor(what: string) {
    super('not_found', `${what} not found`, 404);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('conflict', message, 409);
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details: ReadonlyArray<{ field: string; message: string }> = []) {
    super('validation_failed', message, 422, details);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'You are not authorized to perform this action') {
    super('forbidden', message, 403);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'Invalid or missing authentication token') {
    super('unauthorized', message, 401);
  }
}

/** A dependency (Postgres, Redis) did not answer in time; callers should retry later. */
export class DependencyUnavailableError extends AppError {
  constructor(
    readonly dependency: 'postgres' | 'redis',
    options?: { cause?: unknown },
  ) {
    super('temporarily_unavailable', `${dependency} is unavailable`, 503);
    if (options?.cause) this.cause = options.cause;
  }
}
