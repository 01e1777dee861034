import { errors, type AdapterFactory } from 'oidc-provider';

import type { ClientRecord } from '../../credentials/clients.js';
import { clientMetadata } from '../client-metadata.js';
import { withOutageErrors } from '../outage.js';
import type { Adapter, AdapterPayload } from './types.js';
import { DURABLE_MODELS } from './types.js';

interface Store {
  adapter(model: string, onReplay: (payload: AdapterPayload) => Promise<void>): Adapter;
}

/** Models revoked together when a single-use artifact is replayed (RFC 6749 §4.1.2, §10.4). */
const GRANT_BOUND_MODELS = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest'];

/**
 * Routes each oidc-provider model to the store its durability class needs (DESIGN.md):
 * clients come read-only from the clients table, grants and refresh tokens from Postgres,
 * everything else from Redis (or the in-process store).
 */
export function createAdapterFactory(deps: {
  findClient: (id: string) => Promise<ClientRecord | undefined>;
  durable: Store;
  ephemeral: Store;
}): AdapterFactory {
  const adapters = new Map<string, Adapter>();

  const get = (model: string): Adapter => {
    let adapter = adapters.get(model);
    if (!adapter) {
      const store = DURABLE_MODELS.has(model) ? deps.durable : deps.ephemeral;
      adapter = withOutageErrors(store.adapter(model, (payload) => onReplay(model, payload)));
      adapters.set(model, adapter);
    }
    return adapter;
  };

  async function onReplay(model: string, payload: AdapterPayload): Promise<never> {
    if (payload.grantId) {
      await Promise.all(GRANT_BOUND_MODELS.map((name) => get(name).revokeByGrantId(payload.grantId!)));
      await get('Grant').destroy(payload.grantId);
    }
    throw new errors.InvalidGrant(`${model === 'RefreshToken' ? 'refresh token' : 'grant'} already used`);
  }

  const clientAdapter: Adapter = withOutageErrors({
    async find(id) {
      const record = await deps.findClient(id);
      return record ? clientMetadata(record) : undefined;
    },
    upsert: readOnly,
    findByUid: readOnly,
    findByUserCode: readOnly,
    consume: readOnly,
    destroy: readOnly,
    revokeByGrantId: readOnly,
  } satisfies Adapter);

  return (model: string) => (model === 'Client' ? clientAdapter : get(model));
}

async function readOnly(): Promise<never> {
  throw new Error('clients are managed through Tessera, not through oidc-provider');
}
