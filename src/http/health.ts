import Router from '@koa/router';

/** Each check resolves when its dependency answers and rejects (quickly) when it does not. */
export type ReadinessChecks = Record<string, () => Promise<void>>;

const within = (ms: number, work: Promise<void>) =>
  Promise.race([work, new Promise<void>((_, reject) => setTimeout(() => reject(new Error('timeout')), ms).unref())]);

/** /healthz says the process is alive; /readyz says whether it can serve (every dependency answers). */
export function healthRoutes(checks: ReadinessChecks) {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await within(1_500, check());
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'unavailable', checks: Object.fromEntries(results) };
  });
  return router;
}
