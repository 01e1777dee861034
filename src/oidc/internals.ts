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
