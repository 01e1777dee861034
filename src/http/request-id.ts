import { randomUUID } from 'node:crypto';

import type { Context, Next } from 'koa';

/** A caller's X-Request-ID is kept when it looks like an id; otherwise a new one is made. */
const ACCEPTABLE = /^[\w.:-]{1,128}$/;

export function requestId(ctx: Context, next: Next) {
  const given = ctx.get('x-request-id');
  const id = ACCEPTABLE.test(given) ? given : randomUUID();
  ctx.state.requestId = id;
  ctx.set('X-Request-ID', id);
  return next();
}
