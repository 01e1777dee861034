import type { AuditLog } from '../observability/audit.js';
import type { Role } from '../orgs/roles.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError, ValidationError } from '../shared/errors.js';
import { digestSecret, digestsEqual } from '../shared/random.js';
import { createRecordCache } from '../shared/record-cache.js';
import type { ChangeFeed } from '../storage/changes.js';
import type { Db } from '../storage/db.js';
import { isForeignKeyViolation } from '../storage/pg-errors.js';
import { findApiKeyById, findApiKeysByIds, insertApiKey, listApiKeysByOrg, revokeApiKey, touchApiKeys, type ApiKeyRow } from '../storage/repositories/api-keys.js';
import { formatApiKey, newApiKeyId, parseApiKey } from './api-key-format.js';
import { ipAllowed, isValidAllowedIp, normaliseAllowedIp } from './ip-allow-list.js';
import { createUsageTracker } from './last-used.js';

/** Seed 000: "Expiration: key lifetime (30, 60, 90, or 365 days)". */
export const API_KEY_LIFETIMES_DAYS = [30, 60, 90, 365] as const;
export type ApiKeyLifetime = (typeof API_KEY_LIFETIMES_DAYS)[number];

/** Public view of an API key: never the key, its secret or its digest. */
export interface ApiKey {
  id: string;
  orgId: string;
  owner: string;
  name: string;
  description: string | null;
  role: Role;
  prefix: string;
  allowedIps: string[];
  createdBy: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  status: 'active' | 'expired' | 'revoked';
}

interface ApiKeyRecord {
  row: ApiKeyRow;
}

export interface NewApiKey {
  orgId: string;
  owner: string;
  name: string;
  role: Role;
  expiresInDays: ApiKeyLifetime;
  description?: string;
  allowedIps?: string[];
  actor: string;
  ip?: string;
}

/** Why a presented key was refused. Callers answer the same 401 whatever the reason. */
export type ApiKeyRefusal = 'malformed' | 'unknown' | 'wrong_secret' | 'revoked' | 'expired' | 'ip_not_allowed';
export type ApiKeyCheck = { ok: true; apiKey: ApiKey } | { ok: false; reason: ApiKeyRefusal; apiKey?: ApiKey };

const DAY_MS = 86_400_000;

/**
 * API keys (seeds 000, 002, 003). The key is shown once; only the SHA-256 digest of its secret
 * is stored and compared in constant time after a lookup by key id. Records are cached per
 * process because every authenticated call needs one; a revocation is published on the change
 * feed so every instance drops its copy at once (Postgres NOTIFY), with a periodic re-read as
 * the safety net for a missed notification.
 */
export function createApiKeys(deps: {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  changes: ChangeFeed;
  prefix: string;
  lastUsedFlushMs: number;
  cacheRefreshMs: number;
  onError: (error: unknown) => void;
}) {
  const { db, audit, clock, changes } = deps;
  const cache = createRecordCache<ApiKeyRecord>({
    load: async (id) => {
      const row = await findApiKeyById(db, id);
      return row ? { row } : undefined;
    },
    loadMany: async (ids) => new Map((await findApiKeysByIds(db, ids)).map((row) => [row.id, { row }])),
    refreshMs: deps.cacheRefreshMs,
    limit: 50_000,
  });
  changes.subscribe((topic, id) => {
    if (topic === 'api_key') cache.drop(id);
  });
  const usage = createUsageTracker({ flush: (uses) => touchApiKeys(db, uses), intervalMs: deps.lastUsedFlushMs, onError: deps.onError });

  const toApiKey = (row: ApiKeyRow): ApiKey => ({
    id: row.id,
    orgId: row.org_id,
    owner: row.owner,
    name: row.name,
    description: row.description,
    role: row.role as Role,
    prefix: row.prefix,
    allowedIps: row.allowed_ips,
    createdBy: row.created_by,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
    status: row.revoked_at ? 'revoked' : row.expires_at <= clock.now() ? 'expired' : 'active',
  });

  /** Cached lookup (record-cache.ts): what every API-key call reads. */
  const find = (id: string) => cache.get(id);

  async function load(id: string): Promise<ApiKeyRow> {
    const row = await findApiKeyById(db, id);
    if (!row) throw new NotFoundError('API key');
    return row;
  }

  function checkAllowedIps(entries: string[] | undefined): string[] {
    const list = entries ?? [];
    const bad = list.findIndex((entry) => !isValidAllowedIp(entry));
    if (bad >= 0) throw new ValidationError('allowed_ips must be IP addresses or CIDR ranges', [{ field: `allowed_ips.${bad}`, message: 'is not an IP address or CIDR range' }]);
    return [...new Set(list.map(normaliseAllowedIp))];
  }

  async function insert(input: Omit<NewApiKey, 'expiresInDays'> & { lifetimeMs: number }) {
    const id = newApiKeyId();
    const now = clock.now(); // one instant: expiry is exactly creation + lifetime
    const { key, secret } = formatApiKey(deps.prefix, id);
    try {
      const row = await insertApiKey(db, {
        id,
        org_id: input.orgId,
        owner: input.owner,
        name: input.name,
        description: input.description ?? null,
        role: input.role,
        prefix: deps.prefix,
        secret_digest: digestSecret(secret).toString('hex'),
        allowed_ips: checkAllowedIps(input.allowedIps),
        created_by: input.actor,
        created_at: now,
        expires_at: new Date(now.getTime() + input.lifetimeMs),
      });
      return { row, key };
    } catch (error) {
      if (isForeignKeyViolation(error)) throw new NotFoundError('organization');
      throw error;
    }
  }

  return {
    /** A new key, returned once; the audit event names it but never carries it. */
    async create(input: NewApiKey): Promise<{ apiKey: ApiKey; key: string }> {
      const { row, key } = await insert({ ...input, lifetimeMs: input.expiresInDays * DAY_MS });
      await audit.record({
        orgId: row.org_id,
        actor: input.actor,
        action: 'api_key.created',
        targetType: 'api_key',
        targetId: row.id,
        ip: input.ip,
        details: { name: row.name, role: row.role, owner: row.owner, expires_at: row.expires_at.toISOString(), allowed_ips: row.allowed_ips },
      });
      return { apiKey: toApiKey(row), key };
    },

    async get(id: string): Promise<ApiKey> {
      return toApiKey(await load(id));
    },

    /** Active and expired keys (revoked ones are gone for authentication and from lists). */
    async list(orgId: string, page: { limit: number; after?: { createdAt: Date; id: string }; owner?: string }): Promise<ApiKey[]> {
      return (await listApiKeysByOrg(db, orgId, page)).map(toApiKey);
    },

    /** Soft delete: stops authenticating everywhere at once, stays in the audit trail. */
    async revoke(id: string, input: { actor: string; ip?: string }): Promise<ApiKey> {
      const row = await revokeApiKey(db, id, clock.now());
      if (!row) return toApiKey(await load(id)); // 404 when unknown, otherwise already revoked
      await changes.publish('api_key', id);
      await audit.record({ orgId: row.org_id, actor: input.actor, action: 'api_key.revoked', targetType: 'api_key', targetId: id, ip: input.ip });
      return toApiKey(row);
    },

    /**
     * A new key with the same name, owner, role, restrictions and lifetime; the old key is
     * revoked at once (API keys have no grace period: the caller holds the new one already).
     */
    async rotate(id: string, input: { actor: string; ip?: string }): Promise<{ apiKey: ApiKey; key: string; replaced: ApiKey }> {
      const old = await load(id);
      if (old.revoked_at) throw new NotFoundError('API key');
      const lifetime = old.expires_at.getTime() - old.created_at.getTime();
      const { row, key } = await insert({
        orgId: old.org_id,
        owner: old.owner,
        name: old.name,
        role: old.role as Role,
        description: old.description ?? undefined,
        allowedIps: old.allowed_ips,
        actor: input.actor,
        lifetimeMs: lifetime,
      });
      const revoked = (await revokeApiKey(db, id, clock.now())) ?? old;
      await changes.publish('api_key', id);
      await audit.record({ orgId: row.org_id, actor: input.actor, action: 'api_key.rotated', targetType: 'api_key', targetId: id, ip: input.ip, details: { replaced_by: row.id } });
      return { apiKey: toApiKey(row), key, replaced: toApiKey(revoked) };
    },

    /**
     * Checks a presented key: shape and checksum, lookup by key id, constant-time digest
     * comparison, then revocation, expiry and the address allow-list (when `ip` is given: a
   * resource server introspecting a key is not where the key is used, so it passes none). Failed uses of a real
     * key are audited (never with the presented value).
     */
    async authenticate(presented: string, context: { ip?: string; auditIp?: string }): Promise<ApiKeyCheck> {
      const parsed = parseApiKey(presented);
      if (!parsed) return { ok: false, reason: 'malformed' };
      const record = await find(parsed.keyId);
      if (!record || record.row.prefix !== parsed.prefix) return { ok: false, reason: 'unknown' };
      const { row } = record;
      const apiKey = toApiKey(row);
      let reason: ApiKeyRefusal | undefined;
      if (!digestsEqual(digestSecret(parsed.secret), Buffer.from(row.secret_digest, 'hex'))) reason = 'wrong_secret';
      else if (row.revoked_at) reason = 'revoked';
      else if (row.expires_at <= clock.now()) reason = 'expired';
      else if (context.ip !== undefined && !ipAllowed(row.allowed_ips, context.ip)) reason = 'ip_not_allowed';
      if (reason) {
        await audit
          .record({ orgId: row.org_id, actor: `api_key:${row.id}`, action: 'api_key.auth_failed', targetType: 'api_key', targetId: row.id, ip: context.ip ?? context.auditIp, details: { reason } })
          .catch(deps.onError);
        return { ok: false, reason, apiKey };
      }
      usage.record(row.id, clock.now());
      return { ok: true, apiKey };
    },

    /** Cached state of a key by id (revocation checks for tokens exchanged from it). */
    async status(id: string): Promise<ApiKey | undefined> {
      const record = await find(id);
      return record ? toApiKey(record.row) : undefined;
    },

    flushUsage: usage.flush,
    close() {
      cache.close();
      return usage.close();
    },
  };
}

export type ApiKeys = ReturnType<typeof createApiKeys>;
