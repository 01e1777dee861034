import { generateKeyPair, exportJWK, calculateJwkThumbprint, type JWK } from 'jose';
import { createHash } from 'node:crypto';
import { sql } from 'kysely';

import type { Clock } from '../shared/clock.js';
import type { Db } from '../storage/db.js';
import {
  insertSigningKey,
  listAllSigningKeys,
  listPublishedSigningKeys,
  retireSigningKeys,
} from '../storage/repositories/signing-keys.js';
import { seal, unseal } from './key-encryption.js';

export const SIGNING_ALG = 'RS256';
const MODULUS_LENGTH = 2048;
/** Serialises key generation across processes so two first starts create one key, not two. */
const KEY_INIT_LOCK = 7_236_002;

export interface SigningKeyInfo {
  kid: string;
  alg: string;
  status: 'active' | 'retired';
  createdAt: Date;
  retiredAt: Date | null;
  expiresAt: Date | null;
}

export interface SigningKeys {
  /** Creates the first key when none is published. */
  initialize(): Promise<void>;
  /** Re-reads the published set; returns true when it changed since the last load. */
  refresh(): Promise<boolean>;
  /** Private JWKs for oidc-provider, active key first (it signs with the first match). */
  privateJwks(): JWK[];
  /** The public JWKS document and its ETag, computed once per change. */
  jwks(): { body: string; etag: string };
  activeKid(): string;
  /** Changes whenever the published set changes; lets callers apply a change exactly once. */
  version(): string;
  /** New active key; the old ones stay published for `retainSeconds` (longest token lifetime). */
  rotate(retainSeconds: number): Promise<SigningKeyInfo>;
  list(): Promise<SigningKeyInfo[]>;
}

export function createSigningKeys(deps: { db: Db; kek: Buffer; clock: Clock }): SigningKeys {
  const { db, kek, clock } = deps;
  let loaded: { fingerprint: string; privateJwks: JWK[]; jwks: { body: string; etag: string } } | undefined;

  async function generate(executor: Db): Promise<string> {
    const { privateKey } = await generateKeyPair(SIGNING_ALG, { modulusLength: MODULUS_LENGTH, extractable: true });
    const jwk = await exportJWK(privateKey);
    const kid = await calculateJwkThumbprint(jwk, 'sha256');
    await insertSigningKey(executor, {
      kid,
      alg: SIGNING_ALG,
      public_jwk: JSON.stringify({ kty: jwk.kty, n: jwk.n, e: jwk.e, kid, use: 'sig', alg: SIGNING_ALG }),
      private_jwk_sealed: seal(kek, JSON.stringify({ ...jwk, kid, use: 'sig', alg: SIGNING_ALG }), kid),
      created_at: clock.now(),
    });
    return kid;
  }

  async function load(): Promise<boolean> {
    const rows = await listPublishedSigningKeys(db, clock.now());
    // Active key first; retired ones newest first, so the newest retired key is the fallback.
    rows.sort((a, b) => Number(a.retired_at !== null) - Number(b.retired_at !== null));
    const fingerprint = rows.map((row) => `${row.kid}:${row.retired_at?.getTime() ?? ''}`).join(',');
    if (loaded?.fingerprint === fingerprint) return false;
    if (rows.length === 0) throw new Error('no signing key is published; run `tessera keys rotate`');
    const body = JSON.stringify({ keys: rows.map((row) => row.public_jwk) });
    loaded = {
      fingerprint,
      privateJwks: rows.map((row) => JSON.parse(unseal(kek, row.private_jwk_sealed, row.kid)) as JWK),
      jwks: { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` },
    };
    return true;
  }

  const required = () => {
    if (!loaded) throw new Error('signing keys are not loaded');
    return loaded;
  };

  return {
    async initialize() {
      await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${KEY_INIT_LOCK})`.execute(trx);
        const published = await listPublishedSigningKeys(trx, clock.now());
        if (!published.some((row) => row.retired_at === null)) await generate(trx);
      });
      await load();
    },
    refresh: load,
    privateJwks: () => required().privateJwks,
    jwks: () => required().jwks,
    activeKid: () => required().privateJwks[0]!.kid!,
    version: () => required().fingerprint,
    async rotate(retainSeconds) {
      const now = clock.now();
      const kid = await db.transaction().execute(async (trx) => {
        await sql`select pg_advisory_xact_lock(${KEY_INIT_LOCK})`.execute(trx);
        const created = await generate(trx);
        await retireSigningKeys(trx, created, now, new Date(now.getTime() + retainSeconds * 1000));
        return created;
      });
      await load();
      const info = (await this.list()).find((key) => key.kid === kid);
      return info!;
    },
    async list() {
      const rows = await listAllSigningKeys(db);
      return rows.map((row) => ({
        kid: row.kid,
        alg: row.alg,
        status: row.retired_at ? 'retired' : 'active',
        createdAt: row.created_at,
        retiredAt: row.retired_at,
        expiresAt: row.expires_at,
      }));
    },
  };

}
