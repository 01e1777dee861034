import Provider from 'oidc-provider';

import type { Clients } from '../credentials/clients.js';
import type { SigningKeys } from '../keys/signing-keys.js';
import type { Logger } from '../observability/logger.js';
import type { AuditLog } from '../observability/audit.js';
import { createConfiguration, type ConfigurationDeps } from './configuration.js';
import { acknowledgeUpstreamBodyParsing, rememberClientModels, replaceKeystore, sizeClientModelCache } from './internals.js';
import { providerSigningKeys } from './signing-key.js';

/** Client models oidc-provider keeps built: every credential of a large tenant in use at once. */
const CLIENT_MODELS_KEPT = 10_000;

/** The only `new Provider` in Tessera. */
export async function createProvider(deps: ConfigurationDeps & {
  issuer: string;
  trustProxy: boolean;
  signingKeys: SigningKeys;
  clients: Clients;
  audit: AuditLog;
  logger: Logger;
}) {
  await acknowledgeUpstreamBodyParsing();
  const provider = new Provider(deps.issuer, createConfiguration(deps));
  provider.proxy = deps.trustProxy;
  sizeClientModelCache(provider, CLIENT_MODELS_KEPT);
  rememberClientModels(provider, deps.clients.find);

  provider.on('grant.success', (ctx) => {
    const clientId = ctx.oidc.client?.clientId;
    if (clientId) deps.clients.recordUse(clientId);
  });
  provider.on('grant.error', (ctx, error) => {
    if (error.name !== 'InvalidClientAuth' && error.name !== 'InvalidClient') return;
    const clientId = ctx.oidc.client?.clientId;
    if (!clientId) return;
    void deps.clients
      .find(clientId)
      .then((client) =>
        deps.audit.record({
          orgId: client?.orgId ?? null,
          actor: `client:${clientId}`,
          action: 'client.auth_failed',
          targetType: 'client',
          targetId: clientId,
          ip: ctx.ip,
          details: { reason: error.message },
        }),
      )
      .catch((cause: unknown) => deps.logger.warn({ err: cause }, 'could not record a failed client authentication'));
  });
  provider.on('server_error', (_ctx, error) => deps.logger.error({ err: error }, 'oidc-provider server error'));

  return {
    provider,
    /** Swaps in the signing keys another process may have rotated. */
    reloadKeys() {
      replaceKeystore(provider, providerSigningKeys(deps.signingKeys.privateJwks()));
    },
  };
}

export type OidcProvider = Awaited<ReturnType<typeof createProvider>>;
