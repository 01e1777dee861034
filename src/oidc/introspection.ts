import type { Context, Next } from 'koa';

import type { ApiKeys } from '../credentials/api-keys.js';
import { looksLikeApiKey } from '../credentials/api-key-format.js';
import type { ClientRecord, Clients } from '../credentials/clients.js';
import { looksLikeJwt, type AccessTokenVerifier } from '../keys/access-tokens.js';
import { digestsEqual } from '../shared/random.js';
import { single, type Params } from './request-params.js';
import type { PresentedClient } from './token-body.js';

/**
 * RFC 7662 introspection for what oidc-provider cannot answer: it refuses to introspect JWT
 * access tokens, and knows nothing of API keys. Runs after the token-body shim (which parsed
 * the body into ctx.state.oauthParams and replaced the presented secret by its digest) and
 * after the rate limits; opaque tokens (refresh tokens) fall through to oidc-provider.
 *  1. authenticate the caller as a machine credential (digest against digest, constant time);
 *  2. JWT: verify it and ask whether its credential, key or person still stands;
 *  3. API key: check it as its own use would, except the address (the caller is the resource
 *     server, not the key's user; the allow-list is returned for the resource server to apply);
 *  4. anything of another organization than the caller's is `active: false`, like unknown ones.
 */
export function createIntrospection(deps: { path: string; clients: Pick<Clients, 'find'>; apiKeys: ApiKeys; verifier: AccessTokenVerifier }) {
  // Not async: on the token path it only passes the request on, and should not add a promise.
  return function introspect(ctx: Context, next: Next) {
    if (ctx.method !== 'POST' || ctx.path !== deps.path) return next();
    const token = single((ctx.state.oauthParams ?? {}) as Params, 'token');
    if (!token || !(looksLikeJwt(token) || looksLikeApiKey(token))) return next();
    return answer(ctx, token);
  };

  async function answer(ctx: Context, token: string) {
    const caller = await authenticateCaller(ctx.state.presentedClient as PresentedClient | undefined, deps.clients);
    if (!caller) {
      ctx.status = 401;
      if (/^basic\s/i.test(ctx.get('authorization'))) ctx.set('WWW-Authenticate', 'Basic realm="tessera"');
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { error: 'invalid_client', error_description: 'client authentication failed' };
      return;
    }
    ctx.set('Cache-Control', 'no-store');
    ctx.body = looksLikeApiKey(token) ? await inspectApiKey(token, caller, deps.apiKeys, ctx.ip) : await inspectJwt(token, caller, deps.verifier);
  }
}

async function inspectJwt(token: string, caller: ClientRecord, verifier: AccessTokenVerifier) {
  const check = await verifier.verify(token);
  if (!check.active || check.claims.org !== caller.orgId) return { active: false };
  const { claims } = check;
  return { ...claims, active: true, token_type: 'access_token' };
}

async function inspectApiKey(token: string, caller: ClientRecord, apiKeys: ApiKeys, callerIp: string) {
  const check = await apiKeys.authenticate(token, { auditIp: callerIp });
  if (!check.ok || check.apiKey.orgId !== caller.orgId) return { active: false };
  const key = check.apiKey;
  return {
    active: true,
    token_type: 'api_key',
    key_id: key.id,
    sub: key.owner,
    org: key.orgId,
    role: key.role,
    iat: Math.floor(key.createdAt.getTime() / 1000),
    exp: Math.floor(key.expiresAt.getTime() / 1000),
    ...(key.allowedIps.length > 0 ? { allowed_ips: key.allowedIps } : {}),
  };
}

/** Who may introspect at all: machine credentials that still stand (the resource servers). */
export const isMachineCredential = (client: ClientRecord | undefined): client is ClientRecord =>
  client !== undefined && !client.revokedAt && client.type === 'm2m';

/** client_secret_post or client_secret_basic, as the shim parsed and digested it. */
async function authenticateCaller(presented: PresentedClient | undefined, clients: Pick<Clients, 'find'>): Promise<ClientRecord | undefined> {
  const clientId = presented?.clientId;
  const digest = presented?.secretDigest;
  if (!clientId || !digest || !/^[0-9a-f]{64}$/.test(digest)) return undefined;
  const client = await clients.find(clientId);
  if (!isMachineCredential(client) || !client.secretDigest) return undefined;
  return digestsEqual(Buffer.from(digest, 'hex'), Buffer.from(client.secretDigest, 'hex')) ? client : undefined;
}
