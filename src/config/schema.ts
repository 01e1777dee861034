import ipaddr from 'ipaddr.js';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveSeconds = z.coerce.number().int().positive();
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .optional()
    .refine((value) => {
      if (value === undefined) return true;
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    }, `must be a URL (${protocols.join(' or ')})`);

/**
 * Every setting Tessera reads, with its default. This is the only place defaults live;
 * `process.env` is read nowhere else (see load.ts).
 */
export const configSchema = z.object({
  /** TCP port the HTTP server listens on. */
  PORT: port.default(3000),
  /** Interface to bind. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Issuer identifier (`iss`); defaults to http://localhost:PORT. No trailing slash. */
  ISSUER: optionalUrl(['http:', 'https:']).refine(
    (value) => value === undefined || !value.endsWith('/'),
    'must not end with a slash',
  ),
  /** Postgres connection string; unset means embedded PGlite under DATA_DIR. */
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  /** Where embedded PGlite keeps its files. */
  DATA_DIR: z.string().min(1).default('./data'),
  /** Redis connection string; unset means an in-process store (one instance only). */
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  /**
   * Whether the statements every refresh runs are prepared once per Postgres connection. Planning
   * them cost Postgres ≈ 0.35 ms each time; turn off only behind a pooler that cannot keep named
   * statements (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
   */
  DATABASE_PREPARED_STATEMENTS: z.enum(['true', 'false']).default('true').transform((value) => value === 'true'),
  /** Prefix of every Redis key: lets several deployments (or test runs) share one Redis. */
  REDIS_KEY_PREFIX: z.string().max(64).regex(/^[\w:.-]*$/, 'may hold letters, digits and : . _ - only').default(''),
  /** Where the generated key-encryption key lives when KEY_ENCRYPTION_KEY is not given. */
  KEYS_DIR: z.string().min(1).default('./keys'),
  /** 32 bytes, base64 or base64url: encrypts signing keys at rest and derives cookie keys. */
  KEY_ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine(
      (value) => value === undefined || Buffer.from(value, 'base64url').length === 32,
      'must be 32 bytes encoded as base64',
    ),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** API identifier used when a token request names neither `audience` nor `resource`. */
  DEFAULT_AUDIENCE: z.string().url().optional(),
  /** Lifetime of access tokens for APIs created without their own (seconds). */
  ACCESS_TOKEN_TTL: positiveSeconds.default(86400),
  /** How often each instance re-reads signing keys and revocations it may have missed (seconds). */
  KEY_REFRESH_INTERVAL: positiveSeconds.default(5),
  /** How often each instance deletes expired grants and refresh tokens from Postgres (seconds). */
  EXPIRED_SWEEP_INTERVAL: positiveSeconds.default(600),
  /** How often coalesced last-used times of credentials are written (seconds). */
  LAST_USED_FLUSH_INTERVAL: positiveSeconds.default(60),
  /** Largest accepted request body at the OAuth endpoints (bytes). */
  BODY_LIMIT: positiveSeconds.default(16 * 1024),
  /** Prefix of API keys (`<prefix>_<keyId>.<secret>`). */
  API_KEY_PREFIX: z
    .string()
    .regex(/^[a-z][a-z0-9]{1,15}$/, 'must be 2-16 lowercase letters or digits, starting with a letter')
    .default('tsr'),
  /** Rolling lifetime of refresh tokens (seconds). */
  REFRESH_TOKEN_TTL: positiveSeconds.default(30 * 24 * 3600),
  /** Absolute lifetime of a refresh-token family (seconds). */
  REFRESH_TOKEN_MAX_TTL: positiveSeconds.default(90 * 24 * 3600),
  /** Comma-separated addresses or CIDRs of proxies whose X-Forwarded-For is trusted. */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean),
    )
    .refine(
      (entries) => entries.every((entry) => ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry)),
      'must be comma-separated IP addresses or CIDR ranges',
    ),
  /** Token requests per client per minute (seed 000's per-credential tier). */
  RATE_LIMIT_TOKEN_PER_MINUTE: positiveSeconds.default(1200),
  /** Failed client authentications per client and address per 5 minutes before refusal. */
  RATE_LIMIT_AUTH_FAILURES: positiveSeconds.default(10),
  /** Calls naming no client or key, per address per minute (seed 000: unauthenticated). */
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: positiveSeconds.default(60),
  /** Management-API calls per organization per minute. */
  RATE_LIMIT_MANAGEMENT_PER_MINUTE: positiveSeconds.default(600),
  /** Failed logins per account and address per 15 minutes (brute force). */
  RATE_LIMIT_LOGIN_FAILURES: positiveSeconds.default(5),
  NODE_ENV: z.string().default('development'),
});

export type RawConfig = z.infer<typeof configSchema>;
