import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Identifiers are public: 128 random bits, base64url, behind a readable type prefix. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** Secrets carry 256 random bits (DESIGN.md: at least 256 bits of entropy). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 of a random secret. A slow password hash buys nothing for 256-bit random values
 * and would sit on the token path; DESIGN.md keeps argon2id for passwords only.
 */
export function digestSecret(secret: string): Buffer {
  // One-shot hash: no Hash object per call, and this runs on every token request.
  return hash('sha256', secret, 'buffer');
}

export function digestsEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
