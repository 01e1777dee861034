/**
 * The only module that reaches into oidc-provider's internals. Each use says why the public
 * API does not cover it; check them when upgrading oidc-provider (pinned in package.json).
 */
import type { JWK } from 'jose';
import type { ExternalSigningKey } from 'oidc-provider';
import type Provider from 'oidc-provider';
// @ts-expect-error -- internal module without types
import initializeKeystore from 'oidc-provider/lib/helpers/initialize_keystore.js';
// @ts-expect-error -- internal module without types
import LRU from 'oidc-provider/lib/helpers/lru.js';
// @ts-expect-error -- internal module without types
import instance from 'oidc-provider/lib/helpers/weak_cache.js';
// @ts-expect-error -- internal module without types
import { urlencoded as selectiveUrlencoded } from 'oidc-provider/lib/shared/selective_body.js';

/**
 * oidc-provider takes its signing keys once, at construction. Rebuilding its keystore in place
 * lets a running server pick up a rotation made by another process without a restart.
 */
export function replaceKeystore(provider: Provider, keys: Array<JWK | ExternalSigningKey>): void {
  (initializeKeystore as (this: Provider, jwks: { keys: Array<JWK | ExternalSigningKey> }) => void).call(provider, { keys });
}

/**
 * Tessera parses token, revocation and introspection bodies itself (JSON support, digesting
 * secrets, size limits) and hands oidc-provider the parsed object. oidc-provider accepts that
 * but warns once that an upstream parser is "not recommended"; the warning is expected here,
 * so it is spent once at start with console.warn silenced instead of alarming operators.
 */
export async function acknowledgeUpstreamBodyParsing(): Promise<void> {
  const warn = console.warn;
  console.warn = () => {};
  try {
    const ctx = { method: 'POST', is: () => true, get: () => undefined, req: { readable: false, body: {} }, request: {}, oidc: {} };
    await (selectiveUrlencoded as (ctx: unknown, next: () => Promise<void>) => Promise<void>)(ctx, async () => {});
  } finally {
    console.warn = warn;
  }
}

/**
 * oidc-provider builds a Client model (metadata validation, defaults) for stored metadata and
 * keeps it in an LRU of 100 (provider.js, `dynamicClients`). A tenant with more machine
 * credentials than that in use rebuilds a model on every token request. Tessera sizes that
 * cache for its credentials instead; entries are only made for clients that are used.
 */
export function sizeClientModelCache(provider: Provider, maxSize: number): void {
  const internals = (instance as (provider: Provider) => { dynamicClients: unknown })(provider);
  if (!internals || !('dynamicClients' in internals)) throw new Error('oidc-provider no longer keeps dynamicClients; check internals.ts');
  internals.dynamicClients = new (LRU as new (options: { maxSize: number }) => unknown)({ maxSize });
}

/**
 * oidc-provider's Client.find reads stored metadata through the adapter, serialises it to JSON and
 * hashes it to find the model it built, on every token request. Tessera's credential cache hands
 * out one record object until the credential changes (or is re-read), so the model is remembered
 * per record object. Anything else (no record, an unreadable one) goes through oidc-provider's
 * find, which also refuses revoked credentials; a model is only remembered if the record it was
 * looked up for is still the current one, so it was built from that record.
 */
export function rememberClientModels(provider: Provider, findRecord: (id: string) => Promise<object | undefined>): void {
  const Client = provider.Client as unknown as { find(id: string): Promise<object | undefined> };
  const find = Client.find.bind(Client);
  const models = new WeakMap<object, object>();
  const currentRecord = async (id: string) => {
    try {
      return await findRecord(id);
    } catch {
      return undefined; // oidc-provider's find reports the outage
    }
  };
  Client.find = async (id: string) => {
    const record = typeof id === 'string' ? await currentRecord(id) : undefined;
    if (!record) return find(id);
    const remembered = models.get(record);
    if (remembered) return remembered;
    const model = await find(id);
    if (model && (await currentRecord(id)) === record) models.set(record, model);
    return model;
  };
}
