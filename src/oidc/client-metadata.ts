import type { ClientMetadata } from 'oidc-provider';

import type { ClientRecord } from '../credentials/clients.js';

/**
 * A Tessera client as oidc-provider sees it. The registered `client_secret` is the SHA-256
 * digest of the real secret: the token-body shim digests what the client presents, so
 * oidc-provider's constant-time comparison runs digest against digest.
 */
export function clientMetadata(record: ClientRecord): ClientMetadata | undefined {
  if (record.revokedAt) return undefined;
  const base = { client_id: record.id, client_name: record.name };
  switch (record.type) {
    case 'm2m':
      return {
        ...base,
        client_secret: record.secretDigest ?? undefined,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      };
    case 'web':
      return {
        ...base,
        client_secret: record.secretDigest ?? undefined,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: record.redirectUris,
        post_logout_redirect_uris: record.postLogoutRedirectUris,
        token_endpoint_auth_method: 'client_secret_basic',
      };
    case 'spa':
    case 'native':
      return {
        ...base,
        application_type: record.type === 'native' ? 'native' : 'web',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: record.redirectUris,
        post_logout_redirect_uris: record.postLogoutRedirectUris,
        token_endpoint_auth_method: 'none',
      };
  }
}
