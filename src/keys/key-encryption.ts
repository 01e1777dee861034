import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The key-encryption key (KEK) seals signing keys at rest. It comes from KEY_ENCRYPTION_KEY
 * or, when that is unset, from `KEYS_DIR/kek`, generated on first start with mode 0600.
 * Every instance must see the same KEK, so production sets the variable.
 */
export function loadKeyEncryptionKey(options: { fromEnv?: string; keysDir: string }): Buffer {
  if (options.fromEnv) return Buffer.from(options.fromEnv, 'base64url');
  const file = path.join(options.keysDir, 'kek');
  if (existsSync(file)) {
    const kek = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
    if (kek.length !== 32) throw new Error(`${file} does not hold a 32-byte key`);
    return kek;
  }
  mkdirSync(options.keysDir, { recursive: true, mode: 0o700 });
  const kek = randomBytes(32);
  // 'wx' refuses to overwrite: if another process won the race, read what it wrote.
  try {
    writeFileSync(file, kek.toString('base64url') + '\n', { mode: 0o600, flag: 'wx' });
    return kek;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return loadKeyEncryptionKey(options);
    throw error;
  }
}

/** AES-256-GCM with the kid as associated data, so a sealed key cannot be swapped to another row. */
export function seal(kek: Buffer, plaintext: string, aad: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv).setAAD(Buffer.from(aad));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64url')).join('.');
}

export function unseal(kek: Buffer, sealed: string, aad: string): string {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  if (!iv || !tag || !body) throw new Error('sealed value is malformed');
  const decipher = createDecipheriv('aes-256-gcm', kek, iv).setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

/** Cookie signing keys derived from the KEK: the same on every instance, never stored. */
export function deriveCookieKeys(kek: Buffer): string[] {
  return [Buffer.from(hkdfSync('sha256', kek, Buffer.alloc(0), 'tessera cookie keys v1', 32)).toString('base64url')];
}
