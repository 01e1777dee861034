import type { Context, Next } from 'koa';

/**
 * Runs before oidc-provider on GET /authorize, so an application written for Auth0 works unchanged:
 *  1. Auth0's `audience` becomes RFC 8707 `resource` (the token-body shim does the same at /oauth/token);
 *  2. `offline_access` is honoured without `prompt=consent`, as Auth0 does. oidc-provider drops
 *     the scope unless consent is prompted (OIDC Core §11), so consent is prompted here: Tessera's
 *     consent step grants it silently for first-party clients and asks the person for third-party
 *     ones. `prompt=none` is left alone (a silent request cannot prompt).
 */
export function authorizeParams(path: string) {
  return async function rewriteAuthorizeParams(ctx: Context, next: Next) {
    if (ctx.path !== path || ctx.method !== 'GET') return next();
    const query = new URLSearchParams(ctx.querystring);
    let changed = false;

    const audience = query.get('audience');
    if (audience !== null) {
      if (!query.has('resource')) query.set('resource', audience);
      query.delete('audience');
      changed = true;
    }

    const scopes = (query.get('scope') ?? '').split(' ');
    const prompts = (query.get('prompt') ?? '').split(' ').filter(Boolean);
    if (scopes.includes('offline_access') && !prompts.includes('consent') && !prompts.includes('none')) {
      query.set('prompt', [...prompts, 'consent'].join(' '));
      changed = true;
    }

    if (changed) ctx.querystring = query.toString();
    return next();
  };
}
