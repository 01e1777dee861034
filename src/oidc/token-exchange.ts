import { randomBytes } from 'node:crypto';

import { importJWK, SignJWT, type JWK } from 'jose';
import type { Context, Next } from 'koa';

import type { ApiRegistry } from '../apis/registry.js';
import type { ApiKeys } from '../credentials/api-keys.js';
import { SIGNING_ALG } from '../keys/signing-keys.js';
import type { Clock } from '../shared/clock.js';
import { single, type Params } from './request-params.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const API_KEY_TOKEN_TYPE = 'urn:tessera:params:oauth:token-type:api-key';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const ACCEPTED_REQUESTED_TYPES = new Set([ACCESS_TOKEN_TYPE, 'urn:ietf:params:oauth:token-type:jwt']);
/** Exchanged tokens are short-lived: the key stays the long-lived credential (issue 4). */
const MAX_LIFETIME_SECONDS = 3600;

class ExchangeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * RFC 8693 token exchange of an API key for a JWT access token with the key's `org` and `role`,
 * so a resource server that only verifies JWTs accepts API-key callers too. The API key itself
 * authenticates the request (the caller holds no OAuth client), which is why this runs in front
 * of oidc-provider rather than as one of its grants: its token endpoint demands a client.
 * Runs after the token-body shim (parsed params, `audience` mapped to `resource`) and the
 * per-address rate limit. The token is signed by the active key, like every other access
 * token, and carries `key_id`, so introspection reports it inactive once the key is revoked.
 */
export function createTokenExchange(deps: {
  path: string;
  issuer: string;
  defaultAudience: string | undefined;
  apis: Pick<ApiRegistry, 'findByIdentifier'>;
  apiKeys: ApiKeys;
  permissionsFor?: (apiIdentifier: string, role: string) => Promise<string[] | undefined>;
  signingKeys: { privateJwks(): JWK[] };
  clock: Clock;
}) {
  // The active key, imported once per rotation (privateJwks() lists the active key first).
  let signer: { kid: string; key: ReturnType<typeof importJWK> } | undefined;
  const signingKey = () => {
    const jwk = deps.signingKeys.privateJwks()[0]!;
    if (signer?.kid !== jwk.kid) signer = { kid: jwk.kid!, key: importJWK(jwk, SIGNING_ALG) };
    return signer!;
  };

  async function exchange(ctx: Context, params: Params) {
    if (single(params, 'subject_token_type') !== API_KEY_TOKEN_TYPE) {
      throw new ExchangeError('invalid_request', `subject_token_type must be ${API_KEY_TOKEN_TYPE}`);
    }
    const subjectToken = single(params, 'subject_token');
    if (!subjectToken) throw new ExchangeError('invalid_request', 'subject_token is required');
    const requested = single(params, 'requested_token_type');
    if (requested !== undefined && !ACCEPTED_REQUESTED_TYPES.has(requested)) {
      throw new ExchangeError('invalid_request', 'requested_token_type must be an access token');
    }
    const resource = params.resource ?? deps.defaultAudience;
    if (resource === undefined) throw new ExchangeError('invalid_request', 'audience (or resource) is required');
    if (typeof resource !== 'string') throw new ExchangeError('invalid_target', 'only one audience is supported for this grant type');
    const api = await deps.apis.findByIdentifier(resource);
    if (!api) throw new ExchangeError('invalid_target', `unknown audience ${JSON.stringify(resource.slice(0, 200))}`);

    const check = await deps.apiKeys.authenticate(subjectToken, { ip: ctx.ip });
    // One answer for unknown, expired, revoked and out-of-range keys (issue 4).
    if (!check.ok) throw new ExchangeError('invalid_grant', 'the API key is invalid');
    const key = check.apiKey;

    const requestedScope = single(params, 'scope');
    const scopes = requestedScope === undefined ? api.scopes : requestedScope.split(' ').filter(Boolean);
    if (scopes.some((scope) => !api.scopes.includes(scope))) throw new ExchangeError('invalid_scope', 'requested scope is not defined by the API');

    const now = Math.floor(deps.clock.now().getTime() / 1000);
    const keyExpires = Math.floor(key.expiresAt.getTime() / 1000);
    const expiresIn = Math.max(1, Math.min(api.tokenLifetimeSeconds, MAX_LIFETIME_SECONDS, keyExpires - now));
    const permissions = await deps.permissionsFor?.(api.identifier, key.role);
    const { kid, key: privateKey } = signingKey();
    const accessToken = await new SignJWT({
      client_id: key.id,
      scope: scopes.join(' '),
      org: key.orgId,
      role: key.role,
      key_id: key.id,
      ...(permissions ? { permissions } : {}),
    })
      .setProtectedHeader({ alg: SIGNING_ALG, typ: 'at+jwt', kid })
      .setIssuer(deps.issuer)
      .setSubject(key.owner)
      .setAudience(api.identifier)
      .setIssuedAt(now)
      .setExpirationTime(now + expiresIn)
      .setJti(randomBytes(16).toString('base64url'))
      .sign(await privateKey);
    return {
      access_token: accessToken,
      issued_token_type: ACCESS_TOKEN_TYPE,
      token_type: 'Bearer',
      expires_in: expiresIn,
      ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}),
    };
  }

  // Not async: every other grant only passes through here, and should not pay for a promise.
  return function tokenExchange(ctx: Context, next: Next) {
    if (ctx.method !== 'POST' || ctx.path !== deps.path) return next();
    const params = (ctx.state.oauthParams ?? {}) as Params;
    if (single(params, 'grant_type') !== TOKEN_EXCHANGE_GRANT) return next();
    return answer(ctx, params);
  };

  async function answer(ctx: Context, params: Params) {
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    try {
      ctx.body = await exchange(ctx, params);
      ctx.status = 200;
    } catch (error) {
      if (!(error instanceof ExchangeError)) throw error;
      ctx.status = 400;
      ctx.body = { error: error.code, error_description: error.message };
    }
  }
}
