import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';

import type { ApiKeys } from '../credentials/api-keys.js';
import type { Clients } from '../credentials/clients.js';
import type { Users } from '../orgs/users.js';
import type { Clock } from '../shared/clock.js';
import type { SigningKeys } from './signing-keys.js';

/** The claims Tessera puts in its RFC 9068 access tokens (DESIGN.md). */
export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  client_id: string;
  scope?: string;
  org?: string;
  role?: string;
  /** Present on tokens exchanged for an API key (RFC 8693): the key they stand for. */
  key_id?: string;
}

export type TokenCheck = { active: true; claims: AccessTokenClaims } | { active: false; reason: string };

/**
 * Verifies Tessera's own JWT access tokens the way a resource server would (signature by a
 * published key, `iss`, `typ: at+jwt`, `exp`, optionally `aud`), then asks whether what the token
 * stands for still stands: a revoked credential, a revoked API key or a suspended person makes
 * every token issued to it inactive at once, although the JWT itself would still verify offline.
 * The lookups are the cached ones the token path uses, invalidated on every instance through
 * the change feed, so this costs no query per call.
 */
export function createAccessTokenVerifier(deps: {
  issuer: string;
  signingKeys: Pick<SigningKeys, 'jwks'>;
  clients: Pick<Clients, 'find'>;
  apiKeys: Pick<ApiKeys, 'status'>;
  users: Pick<Users, 'find'>;
  clock: Clock;
}) {
  let keySet: { etag: string; get: ReturnType<typeof createLocalJWKSet> } | undefined;
  const keys = () => {
    const { body, etag } = deps.signingKeys.jwks();
    if (keySet?.etag !== etag) keySet = { etag, get: createLocalJWKSet(JSON.parse(body) as Parameters<typeof createLocalJWKSet>[0]) };
    return keySet.get;
  };

  async function stillValid(claims: AccessTokenClaims): Promise<string | undefined> {
    if (claims.key_id) {
      const key = await deps.apiKeys.status(claims.key_id);
      if (!key || key.status === 'revoked') return 'api key revoked';
      if (key.orgId !== claims.org) return 'organization mismatch';
      return undefined;
    }
    const client = await deps.clients.find(claims.client_id);
    if (!client || client.revokedAt) return 'client revoked';
    if (claims.sub !== claims.client_id) {
      // Issued to a person through an application: the person must not be suspended.
      const user = await deps.users.find(claims.sub);
      if (!user || user.suspendedAt) return 'user suspended';
    } else if (client.orgId !== claims.org) {
      return 'organization mismatch';
    }
    return undefined;
  }

  return {
    async verify(token: string, options: { audience?: string } = {}): Promise<TokenCheck> {
      let claims: AccessTokenClaims;
      try {
        const result = await jwtVerify(token, keys(), {
          issuer: deps.issuer,
          audience: options.audience,
          typ: 'at+jwt',
          algorithms: ['RS256'],
          currentDate: deps.clock.now(),
          requiredClaims: ['exp', 'sub', 'client_id'],
        });
        claims = result.payload as AccessTokenClaims;
      } catch {
        return { active: false, reason: 'invalid token' };
      }
      if (typeof claims.sub !== 'string' || typeof claims.client_id !== 'string') return { active: false, reason: 'invalid token' };
      const reason = await stillValid(claims);
      return reason ? { active: false, reason } : { active: true, claims };
    },
  };
}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

/** A compact JWS has three base64url parts; anything else is not one of our JWTs. */
export const looksLikeJwt = (value: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(value);
