import type { Context, Next } from 'koa';

/**
 * Headers every answer carries. Pages are server-rendered with inline styles and oidc-provider's
 * form_post auto-submit script, hence 'unsafe-inline' for those two; nothing may frame us.
 * `form-action` is left out on purpose: browsers apply it to the redirect chain after the login
 * form, which ends at the client's redirect_uri on another origin.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

export function securityHeaders(options: { https: boolean }) {
  return async function setSecurityHeaders(ctx: Context, next: Next) {
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    await next();
    // An answer that carries a token or secret must never be cached (RFC 6749 §5.1).
    const body = ctx.body as Record<string, unknown> | undefined;
    if (body && typeof body === 'object' && ('access_token' in body || 'client_secret' in body || 'api_key' in body || 'key' in body || 'secret' in body)) {
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Pragma', 'no-cache');
    }
  };
}
