import Router from '@koa/router';

/**
 * The public signing keys. Served by Tessera rather than oidc-provider so the answer is built
 * once per key change, with an ETag for conditional requests and a short max-age: a resource
 * server that meets an unknown `kid` refetches, so rotation never needs a long cache to expire.
 */
export function jwksRoutes(path: string, jwks: () => { body: string; etag: string }) {
  const router = new Router();
  router.get(path, (ctx) => {
    const { body, etag } = jwks();
    ctx.set('ETag', etag);
    ctx.set('Cache-Control', 'public, max-age=300, stale-while-revalidate=60');
    if (ctx.get('if-none-match') === etag) {
      ctx.status = 304;
      return;
    }
    ctx.type = 'application/jwk-set+json';
    ctx.body = body;
  });
  return router;
}
