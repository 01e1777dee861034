import type { Context, Next } from 'koa';

import type { PresentedClient } from '../oidc/token-body.js';
import type { BatchedBudget } from './batched-budget.js';
import { rejectLimited, setRateLimitHeaders, type Limiter } from './rate-limit.js';

export interface OAuthLimits {
  /** Token requests per client (the seed's per-credential tier), counted in batches. */
  perClient: BatchedBudget;
  /** Failed client authentications per client and address: brute force on one secret. */
  authFailures: Limiter;
  /** Calls that name no client at all, per address. */
  anonymous: Limiter;
}

/**
 * Rate limits on the token, revocation and introspection endpoints. Runs after the body shim
 * (which put the parsed parameters on ctx.state) and before oidc-provider:
 *  1. a client/address pair that failed authentication too often is refused before any work,
 *     so a brute-force run is cut off early and costs other clients nothing;
 *  2. a client whose budget is spent is refused; a call naming no client is charged to its address;
 *  3. after oidc-provider answers, a success is charged to the client's budget and a 401
 *     invalid_client to the failure budget, so guessing a client's secret never spends the
 *     budget of the real client.
 * Only pairs that failed recently are looked up in the failure counter, so well-behaved
 * clients pay nothing for brute-force protection.
 */
export function oauthRateLimit(paths: string[], limits: OAuthLimits) {
  const guarded = new Set(paths);
  const recentFailures = new Map<string, number>();
  const failureWindowMs = limits.authFailures.spec.duration * 1000;

  return async function limitOAuth(ctx: Context, next: Next) {
    if (ctx.method !== 'POST' || !guarded.has(ctx.path)) return next();
    const clientId = clientIdOf(ctx);
    const failureKey = `${clientId ?? '-'}|${ctx.ip}`;

    const failedAt = recentFailures.get(failureKey);
    if (failedAt !== undefined) {
      if (Date.now() - failedAt > failureWindowMs) recentFailures.delete(failureKey);
      const failures = await limits.authFailures.peek(failureKey);
      if (failures && failures.remaining <= 0) {
        limits.authFailures.noteRejected();
        return rejectLimited(ctx, { ...failures, limited: true }, 'oauth');
      }
    }

    if (!clientId) {
      const state = await limits.anonymous.consume(ctx.ip);
      if (state.limited) return rejectLimited(ctx, state, 'oauth');
      setRateLimitHeaders(ctx, state);
      return next();
    }
    const budget = await limits.perClient.check(clientId);
    if (budget.limited) return rejectLimited(ctx, budget, 'oauth');

    await next();

    if (ctx.status === 401) {
      if (recentFailures.size > 100_000) recentFailures.clear();
      recentFailures.set(failureKey, Date.now());
      await limits.authFailures.consume(failureKey);
    } else if (ctx.status < 400) {
      setRateLimitHeaders(ctx, limits.perClient.charge(clientId));
    }
  };
}

const clientIdOf = (ctx: Context) => (ctx.state.presentedClient as PresentedClient | undefined)?.clientId;
