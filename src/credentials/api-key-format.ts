import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The wire format of an API key: `<prefix>_<keyId>.<secret><checksum>`, e.g.
 * `tsr_key_4fTq…V2.Xy…9aB3kLm0`.
 *  - the prefix names the issuer, so a leaked key is attributable (seed 000: `catalio_`);
 *  - the key id is public: keys are looked up by it, never by their secret (STYLE.md, 6);
 *  - the secret is 43 base62 characters, 256 bits of entropy (DESIGN.md);
 *  - the last 6 characters are a CRC32 of everything before them, in base62, so a secret
 *    scanner (or Tessera itself) can tell a real key from random text without a lookup,
 *    as GitHub's token format does.
 * Only alphanumerics after the prefix: a key survives double-click selection and URLs intact.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_ID_LENGTH = 22; // ~131 bits: ids must not be guessable either
const SECRET_LENGTH = 43; // 62^43 > 2^256
const CHECKSUM_LENGTH = 6; // 62^6 > 2^32
const PATTERN = new RegExp(
  `^([a-z][a-z0-9]{1,15})_(key_[0-9A-Za-z]{${KEY_ID_LENGTH}})\\.([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);
export const API_KEY_ID = new RegExp(`^key_[0-9A-Za-z]{${KEY_ID_LENGTH}}$`);

/** Uniform base62: bytes ≥ 248 are rejected so every character is equally likely. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHABET[byte % 62];
    }
  }
  return out;
}

function checksum(body: string): string {
  let value = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

export const newApiKeyId = () => `key_${randomBase62(KEY_ID_LENGTH)}`;

export interface ParsedApiKey {
  prefix: string;
  keyId: string;
  /** The secret part (with its checksum): what is digested and compared. */
  secret: string;
}

/** A new key for `keyId`: returned to the caller once, never stored. */
export function formatApiKey(prefix: string, keyId: string): { key: string; secret: string } {
  const secret = randomBase62(SECRET_LENGTH);
  const body = `${prefix}_${keyId}.${secret}`;
  const full = body + checksum(body);
  return { key: full, secret: full.slice(full.indexOf('.') + 1) };
}

/** Parses a presented key; undefined when it is not shaped like one or its checksum is wrong. */
export function parseApiKey(value: string): ParsedApiKey | undefined {
  if (value.length > 200) return undefined;
  const match = PATTERN.exec(value);
  if (!match) return undefined;
  const [, prefix, keyId, secretBody, sum] = match as unknown as [string, string, string, string, string];
  if (checksum(`${prefix}_${keyId}.${secretBody}`) !== sum) return undefined;
  return { prefix, keyId, secret: secretBody + sum };
}

/** Cheap shape test, e.g. to route a bearer value to API-key or JWT verification. */
export const looksLikeApiKey = (value: string) => PATTERN.test(value);
