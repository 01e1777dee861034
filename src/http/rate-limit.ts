import type { Redis } from 'ioredis';
import type { Context, Next } from 'koa';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

import type { Logger } from '../observability/logger.js';

/** A limit: `points` requests per `duration` seconds. */
export interface LimitSpec {
  points: number;
  duration: number;
}

export interface Limiter {
  readonly spec: LimitSpec;
  /** Takes one point; resolves with the state after it, or `limited` when none was left. */
  consume(key: string, points?: number): Promise<LimitState>;
  /** Current state without taking a point (null: nothing counted yet). */
  peek(key: string): Promise<LimitState | null>;
  reward(key: string): Promise<void>;
  /** Counts a refusal decided from `peek` (consume counts its own). */
  noteRejected(): void;
}

export interface LimitState {
  limited: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetInSeconds: number;
  window: number;
}

/**
 * Counters live in Redis so a limit is global across instances; each Redis limiter is insured
 * by an in-process one, so when Redis is down limits fall back to per-instance counting instead
 * of failing requests (logged once per outage). Without REDIS_URL, counting is in process.
 */
export function createLimiterFactory(deps: { redis: Redis | undefined; logger: Logger; onReject?: (name: string) => void }) {
  let degraded = false;
  return function limiter(name: string, spec: LimitSpec): Limiter {
    const memory = new RateLimiterMemory({ keyPrefix: `tessera:rl:${name}`, ...spec });
    const store: RateLimiterAbstract = deps.redis
      ? new RateLimiterRedis({
          storeClient: deps.redis,
          keyPrefix: `tessera:rl:${name}`,
          ...spec,
          rejectIfRedisNotReady: true,
          insuranceLimiter: memory,
        })
      : memory;

    const toState = (res: RateLimiterRes, limited: boolean): LimitState => ({
      limited,
      limit: spec.points,
      remaining: Math.max(0, res.remainingPoints),
      resetInSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      window: spec.duration,
    });

    const noteRedis = () => {
      if (!deps.redis) return;
      const ready = deps.redis.status === 'ready';
      if (!ready && !degraded) {
        degraded = true;
        deps.logger.warn('Redis unavailable: rate limits fall back to per-instance counting');
      } else if (ready && degraded) {
        degraded = false;
        deps.logger.info('Redis is back: rate limits are global again');
      }
    };

    return {
      spec,
      async consume(key, points = 1) {
        noteRedis();
        try {
          return toState(await store.consume(key, points), false);
        } catch (rejection) {
          if (rejection instanceof RateLimiterRes) {
            deps.onReject?.(name);
            return toState(rejection, true);
          }
          throw rejection;
        }
      },
      async peek(key) {
        const res = await store.get(key).catch(() => memory.get(key));
        return res ? toState(res, res.remainingPoints < 0 || res.consumedPoints > spec.points) : null;
      },
      async reward(key) {
        await store.reward(key, 1).catch(() => {});
      },
      noteRejected() {
        deps.onReject?.(name);
      },
    };
  };
}

export type LimiterFactory = ReturnType<typeof createLimiterFactory>;

/** The X-RateLimit-* headers of seed 000, and Retry-After when limited. */
export function setRateLimitHeaders(ctx: Context, state: LimitState) {
  ctx.set('X-RateLimit-Limit', String(state.limit));
  ctx.set('X-RateLimit-Remaining', String(state.remaining));
  ctx.set('X-RateLimit-Reset', String(Math.ceil(Date.now() / 1000) + state.resetInSeconds));
  ctx.set('X-RateLimit-Window', String(state.window));
  if (state.limited) ctx.set('Retry-After', String(state.resetInSeconds));
}

/** 429 in the shape of the endpoint: OAuth error body or the management API's (seed 000). */
export function rejectLimited(ctx: Context, state: LimitState, shape: 'oauth' | 'management') {
  setRateLimitHeaders(ctx, state);
  ctx.status = 429;
  ctx.set('Cache-Control', 'no-store');
  ctx.body =
    shape === 'oauth'
      ? { error: 'rate_limit_exceeded', error_description: `Too many requests; retry after ${state.resetInSeconds} seconds` }
      : { error: 'rate_limit_exceeded', message: `Rate limit exceeded. Retry after ${state.resetInSeconds} seconds.`, status: 429, retry_after: state.resetInSeconds };
}

/** Runs `next` and passes through `ctx` unchanged; used to wrap limit checks around handlers. */
export type Middleware = (ctx: Context, next: Next) => Promise<void>;
