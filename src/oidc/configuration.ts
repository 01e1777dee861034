import type { JWK } from 'jose';
import type { AdapterFactory, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { errors } from 'oidc-provider';

import type { ApiRegistry } from '../apis/registry.js';
import type { Clients } from '../credentials/clients.js';
import { SIGNING_ALG } from '../keys/signing-keys.js';
import { userTokenClaims } from './account.js';
import { toOidcError } from './outage.js';
import { createIntrospectionPolicy } from './introspection-policy.js';
import { OIDC_PATHS } from './paths.js';
import { peopleConfiguration, type PeopleConfigurationDeps } from './people-configuration.js';
import { EXTERNAL_SIGNING, providerSigningKeys } from './signing-key.js';

export interface ConfigurationDeps {
  adapter: AdapterFactory;
  clients: Clients;
  apis: ApiRegistry;
  cookieKeys: string[];
  signingKeys: { privateJwks(): JWK[]; activeKid(): string };
  defaultAccessTokenTtl: number;
  /** People signing in (issue 3): accounts, organizations, refresh-token lifetimes. */
  people: PeopleConfigurationDeps;
}

/** Every setting that differs from oidc-provider's defaults, with the reason. */
export function createConfiguration(deps: ConfigurationDeps): Configuration {
  const { clients, apis } = deps;
  const { rpInitiatedLogout, ttl: peopleTtl, ...people } = peopleConfiguration(deps.people);

  return {
    ...people,
    adapter: deps.adapter,
    jwks: { keys: providerSigningKeys(deps.signingKeys.privateJwks()) },
    cookies: { keys: deps.cookieKeys },
    routes: OIDC_PATHS,
    // Clients live in Postgres and reach oidc-provider through the read-only Client adapter.
    clients: [],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
    features: {
      // The development login pages must never ship; Tessera renders its own (issue 3).
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // Tokens are signed with node:crypto rather than through jose (signing-key.ts).
      externalSigningSupport: EXTERNAL_SIGNING,
      // oidc-provider's types mark introspection as off-only; the runtime supports it.
      introspection: { enabled: true, allowedPolicy: createIntrospectionPolicy({ clients, grantOrganizations: deps.people.grantOrganizations }) } as never,
      revocation: { enabled: true },
      rpInitiatedLogout,
      resourceIndicators: {
        enabled: true,
        // The token-body shim maps `audience` and the configured default to `resource`.
        defaultResource: (_ctx: KoaContextWithOIDC, _client: unknown, oneOf?: readonly string[]) => oneOf?.[0] ?? undefined,
        useGrantedResource: () => true,
        async getResourceServerInfo(_ctx: KoaContextWithOIDC, resourceIndicator: string) {
          const api = await apis.findByIdentifier(resourceIndicator).catch((error: unknown) => {
            throw toOidcError(error);
          });
          if (!api) throw new errors.InvalidTarget(`unknown audience ${JSON.stringify(resourceIndicator.slice(0, 200))}`);
          return {
            audience: api.identifier,
            scope: api.scopes.join(' '),
            accessTokenTTL: api.tokenLifetimeSeconds,
            // RFC 9068 JWTs, verifiable offline through JWKS; the active key signs (explicit kid).
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: SIGNING_ALG, kid: deps.signingKeys.activeKid() } },
          };
        },
      },
    },
    async extraTokenClaims(ctx, token) {
      // Machine credentials act for their organization with their role (DESIGN.md: claims).
      if (token.kind === 'ClientCredentials') {
        const client = await clients.find(token.clientId!).catch((error: unknown) => {
          throw toOidcError(error);
        });
        if (client) return { org: client.orgId, role: client.role };
      }
      // People's tokens act for the organization their grant was given for, with their current role.
      if (token.kind === 'AccessToken') return userTokenClaims(deps.people, token as never, ctx);
      return undefined;
    },
    formats: {
      customizers: {
        // RFC 9068 §2.2.3: `scope` present even when empty, as resource servers read it unconditionally.
        jwt(_ctx, _token, jwt) {
          jwt.payload.scope ??= '';
        },
      },
    },
    ttl: {
      ...peopleTtl,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? deps.defaultAccessTokenTtl,
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? deps.defaultAccessTokenTtl,
    },
    // CORS only for browser-based clients, and only from the origins of their redirect URIs
    // (a SPA exchanging its code); never for machine credentials or unknown origins.
    clientBasedCORS(_ctx, origin, client) {
      if (client.tokenEndpointAuthMethod !== 'none') return false;
      return (client.redirectUris ?? []).some((uri) => {
        try {
          return new URL(uri).origin === origin;
        } catch {
          return false;
        }
      });
    },
    enabledJWA: { idTokenSigningAlgValues: [SIGNING_ALG] } as never,
  };
}
