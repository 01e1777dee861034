import { availableParallelism } from 'node:os';

import { hash, verify, type Algorithm } from '@node-rs/argon2';
import pLimit from 'p-limit';

/**
 * argon2id at one of the OWASP Password Storage Cheat Sheet's five settings, which it rates as
 * equally strong: m = 9 MiB, t = 4, p = 1. Of the five it costs the least CPU here (≈ 12 ms a
 * hash against ≈ 18 ms for m = 19 MiB, t = 2: the smaller block stays in cache) and half the
 * memory per concurrent sign-in. The parameters travel inside the PHC string, so hashes made
 * with other settings still verify, and are upgraded at the next successful sign-in.
 */
// Algorithm.Argon2id is an ambient const enum (2), which isolated modules cannot read.
const ARGON2ID = 2 as Algorithm;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 9_216, timeCost: 4, parallelism: 1 } as const;
const CURRENT_PREFIX = `$argon2id$v=19$m=${OPTIONS.memoryCost},t=${OPTIONS.timeCost},p=${OPTIONS.parallelism}$`;

export const MIN_PASSWORD_LENGTH = 8;
/** Long enough for any passphrase, short enough that hashing cannot be used to burn CPU. */
export const MAX_PASSWORD_LENGTH = 256;

/**
 * Hashes run on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE says otherwise), which
 * DNS lookups and file reads share. A burst of sign-ins may hold at most one hash per core and
 * must leave a pool thread free; the rest wait their turn here, which also bounds the memory
 * that concurrent hashes take (m each).
 */
const poolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4;
const hashing = pLimit(Math.max(1, Math.min(availableParallelism(), poolSize - 1)));

/** How many hashes run now and how many wait their turn. */
export const passwordHashing = {
  get limit() {
    return hashing.concurrency;
  },
  get running() {
    return hashing.activeCount;
  },
  get waiting() {
    return hashing.pendingCount;
  },
};

export const hashPassword = (password: string): Promise<string> => hashing(() => hash(password, OPTIONS));

export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await hashing(() => verify(passwordHash, password));
  } catch {
    return false;
  }
}

/** True when the hash was made with other parameters than today's (or another algorithm). */
export const needsRehash = (passwordHash: string): boolean => !passwordHash.startsWith(CURRENT_PREFIX);

let decoy: Promise<string> | undefined;

/**
 * Spends the time of one verification when there is no user to verify against, so the answer
 * for an unknown email takes as long as the answer for a wrong password.
 */
export async function spendVerificationTime(password: string): Promise<void> {
  decoy ??= hashPassword('tessera-decoy-password');
  await passwordMatches(await decoy, password);
}
