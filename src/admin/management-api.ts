import type { Api, ApiRegistry } from '../apis/registry.js';
import { ConflictError } from '../shared/errors.js';

/** The management API's audience: machine credentials ask for tokens to it (issue 4). */
export const managementAudience = (issuer: string) => `${issuer}/api/v1`;

/**
 * Makes sure the management API is a registered API, so `client_credentials` can issue tokens
 * for it. Idempotent, and safe when several instances start at once (the loser of the insert
 * race reads the winner's row).
 */
export async function ensureManagementApi(apis: ApiRegistry, issuer: string): Promise<Api> {
  const identifier = managementAudience(issuer);
  const existing = await apis.findByIdentifier(identifier);
  if (existing) return existing;
  try {
    return await apis.create({ identifier, name: 'Tessera management API', actor: 'system' });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Read past the registry cache, which may hold the miss from a moment ago.
    const created = (await apis.list()).find((api) => api.identifier === identifier);
    if (!created) throw error;
    return created;
  }
}
