import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Runs `work` in the async context of startup instead of the current request's. Node ties every
 * socket, timer and native job to the context it was created in, and oidc-provider's
 * AsyncLocalStorage store is the request's whole Koa ctx. Whatever outlives the request (a pooled
 * connection and its idle timer) would keep the request alive with it. A signing job on libuv's
 * pool keeps it until V8 collects the job at a mark-compact, so each scavenge in between promoted
 * the whole request (≈ 10 KB a token request, bench/gc-probe.mjs). Work started here holds
 * nothing of the request. The caller's own `await` still resumes in the request's context,
 * which promise reactions carry on their own.
 */
export const outsideAnyRequest: <R>(work: () => R) => R = AsyncLocalStorage.snapshot();
