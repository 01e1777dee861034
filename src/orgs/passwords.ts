import { hash, verify, type Algorithm } from '@node-rs/argon2';

/**
 * argon2id at the OWASP Password Storage Cheat Sheet's first recommended setting
 * (m = 19 MiB, t = 2, p = 1). The parameters travel inside the PHC string, so raising them
 * later still verifies old hashes.
 */
// Algorithm.Argon2id is an ambient const enum (2), which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase, short enough that hashing cannot be used to burn CPU. */
export const MAX_PASSWORD_LENGTH = 256;

export const hashPassword = (password: string): Promise<string> => hash(password, OPTIONS);

export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

let decoy: Promise<string> | undefined;

/**
 * Spends the time of one verification when there is no user to verify against, so the answer
 * for an unknown email takes as long as the answer for a wrong password.
 */
export async function spendVerificationTime(password: string): Promise<void> {
  decoy ??= hashPassword('tessera-decoy-password');
  await passwordMatches(await decoy, password);
}
