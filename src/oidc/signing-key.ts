import { createPrivateKey, createPublicKey, sign, type JsonWebKey, type KeyObject } from 'node:crypto';

import type { JWK } from 'jose';
import { ExternalSigningKey } from 'oidc-provider';

import { SIGNING_ALG } from '../keys/signing-keys.js';
import { outsideAnyRequest } from '../shared/outside-requests.js';

/**
 * One of Tessera's RS256 keys as oidc-provider signs with it. Given a private JWK, oidc-provider
 * signs every token through jose's WebCrypto path, which re-validates the algorithm and key and
 * wraps the job in promises on each call. node:crypto's one-shot `sign` with a KeyObject
 * imported once does the same RSASSA-PKCS1-v1_5 / SHA-256 signature on libuv's pool, ≈ 20–40 µs
 * cheaper per token here (bench/sign-limit.js shows the gap); every token path signs once or twice.
 */
class RsaSigningKey extends ExternalSigningKey {
  readonly #kid: string;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  constructor(jwk: JWK) {
    super();
    if (jwk.kty !== 'RSA' || jwk.alg !== SIGNING_ALG || !jwk.kid) throw new Error(`signing key ${jwk.kid ?? '(no kid)'} is not an ${SIGNING_ALG} key with a kid`);
    this.#kid = jwk.kid;
    this.#privateKey = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    this.#publicKey = createPublicKey(this.#privateKey);
  }

  override get kid() {
    return this.#kid;
  }

  override get alg() {
    return SIGNING_ALG;
  }

  override keyObject(): KeyObject {
    return this.#publicKey;
  }

  /** Started outside the request's async context, so the job does not keep the request alive. */
  override sign(data: Uint8Array): Promise<Uint8Array> {
    return outsideAnyRequest(
      () => new Promise<Uint8Array>((resolve, reject) => {
        sign('sha256', data, this.#privateKey, (error, signature) => (error ? reject(error) : resolve(signature)));
      }),
    );
  }
}

/** oidc-provider's `jwks.keys`: Tessera's private JWKs, active key first, as signing keys. */
export const providerSigningKeys = (privateJwks: readonly JWK[]): ExternalSigningKey[] => privateJwks.map((jwk) => new RsaSigningKey(jwk));

/** The experimental feature that lets oidc-provider take the keys above; the ack pins its version. */
export const EXTERNAL_SIGNING = { enabled: true, ack: 'experimental-01' } as const;
