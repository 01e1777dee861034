import type { AuditLog } from '../observability/audit.js';
import type { Role } from '../orgs/roles.js';
import type { Clock } from '../shared/clock.js';
import { NotFoundError, ValidationError } from '../shared/errors.js';
import { digestSecret, digestsEqual, newId, newSecret } from '../shared/random.js';
import { createRecordCache } from '../shared/record-cache.js';
import type { ChangeFeed } from '../storage/changes.js';
import type { Db } from '../storage/db.js';
import { isForeignKeyViolation } from '../storage/pg-errors.js';
import {
  findClientById,
  findClientsByIds,
  insertClient,
  listClientsByOrg,
  replaceClientSecret,
  revokeClient,
  touchClients,
  type ClientRow,
} from '../storage/repositories/clients.js';
import { createUsageTracker } from './last-used.js';

export type ClientType = ClientRow['type'];
export const CLIENT_TYPES = ['m2m', 'web', 'spa', 'native'] as const satisfies readonly ClientType[];

/** Public view of a client: never a secret or a digest. */
export interface Client {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  type: ClientType;
  role: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  firstParty: boolean;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  status: 'active' | 'revoked';
}

/** What the token path needs to authenticate a client; kept in process, never serialised out. */
export interface ClientRecord extends Client {
  secretDigest: string | null;
  previousSecretDigest: string | null;
  previousSecretExpiresAt: Date | null;
}

export interface NewClient {
  orgId: string;
  name: string;
  type: ClientType;
  role?: Role;
  description?: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  firstParty?: boolean;
  actor: string;
  /** Caller address, for the audit trail. */
  ip?: string;
}

const isConfidential = (type: ClientType) => type === 'm2m' || type === 'web';

const toRecord = (row: ClientRow): ClientRecord => ({
  id: row.id,
  orgId: row.org_id,
  name: row.name,
  description: row.description,
  type: row.type,
  role: row.role,
  redirectUris: row.redirect_uris,
  postLogoutRedirectUris: row.post_logout_redirect_uris,
  firstParty: row.first_party,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
  revokedAt: row.revoked_at,
  status: row.revoked_at ? 'revoked' : 'active',
  secretDigest: row.secret_digest,
  previousSecretDigest: row.previous_secret_digest,
  previousSecretExpiresAt: row.previous_secret_expires_at,
});

export const toPublicClient = (record: ClientRecord): Client => {
  const { secretDigest: _s, previousSecretDigest: _p, previousSecretExpiresAt: _e, ...client } = record;
  return client;
};

/**
 * Applications and machine credentials. Secrets are generated here, returned once and stored
 * as SHA-256 digests. Records are cached per process because every token request needs one;
 * a change (rotation, revocation) is published so every instance drops its copy at once.
 */
export function createClients(deps: {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  changes: ChangeFeed;
  lastUsedFlushMs: number;
  cacheRefreshMs: number;
  onError: (error: unknown) => void;
}) {
  const { db, audit, clock, changes } = deps;
  const cache = createRecordCache<ClientRecord>({
    load,
    loadMany: async (ids) => new Map((await findClientsByIds(db, ids)).map((row) => [row.id, toRecord(row)])),
    refreshMs: deps.cacheRefreshMs,
    limit: 50_000,
  });
  changes.subscribe((topic, id) => {
    if (topic === 'client') cache.drop(id);
  });
  const usage = createUsageTracker({
    flush: (uses) => touchClients(db, uses),
    intervalMs: deps.lastUsedFlushMs,
    onError: deps.onError,
  });

  async function load(id: string): Promise<ClientRecord | undefined> {
    const row = await findClientById(db, id);
    return row ? toRecord(row) : undefined;
  }

  /** Cached lookup (record-cache.ts): what every token request reads. */
  const find = (id: string) => cache.get(id);

  async function get(id: string): Promise<ClientRecord> {
    const record = await load(id);
    if (!record) throw new NotFoundError('client');
    return record;
  }

  return {
    async create(input: NewClient): Promise<{ client: Client; secret: string | null }> {
      if (input.type === 'm2m' && !input.role) throw new ValidationError('a machine credential needs a role', [{ field: 'role', message: 'required for m2m clients' }]);
      if (input.type !== 'm2m' && (input.redirectUris ?? []).length === 0) {
        throw new ValidationError('an application needs at least one redirect URI', [{ field: 'redirect_uris', message: 'required' }]);
      }
      const secret = isConfidential(input.type) ? newSecret() : null;
      try {
        const row = await insertClient(db, {
          id: newId(input.type === 'm2m' ? 'cred' : 'app'),
          org_id: input.orgId,
          name: input.name,
          description: input.description ?? null,
          type: input.type,
          role: input.role ?? null,
          secret_digest: secret ? digestSecret(secret).toString('hex') : null,
          redirect_uris: input.redirectUris ?? [],
          post_logout_redirect_uris: input.postLogoutRedirectUris ?? [],
          first_party: input.firstParty ?? true,
          created_by: input.actor,
          created_at: clock.now(),
          updated_at: clock.now(),
        });
        await audit.record({ orgId: row.org_id, actor: input.actor, action: 'client.created', targetType: 'client', targetId: row.id, ip: input.ip, details: { name: row.name, type: row.type, role: row.role } });
        return { client: toPublicClient(toRecord(row)), secret };
      } catch (error) {
        if (isForeignKeyViolation(error)) throw new NotFoundError('organization');
        throw error;
      }
    },

    /** New secret, shown once; the old one keeps working for `gracePeriodSeconds` (0: not at all). */
    async rotateSecret(id: string, input: { gracePeriodSeconds?: number; actor: string; ip?: string }): Promise<{ client: Client; secret: string }> {
      const current = await get(id);
      if (!isConfidential(current.type)) throw new ValidationError('a public client has no secret to rotate');
      const secret = newSecret();
      const grace = input.gracePeriodSeconds ?? 0;
      const row = await replaceClientSecret(db, id, digestSecret(secret).toString('hex'), grace > 0 ? new Date(clock.now().getTime() + grace * 1000) : null);
      if (!row) throw new NotFoundError('client');
      await changes.publish('client', id);
      await audit.record({ orgId: row.org_id, actor: input.actor, action: 'client.secret_rotated', targetType: 'client', targetId: id, ip: input.ip, details: { grace_period_seconds: grace } });
      return { client: toPublicClient(toRecord(row)), secret };
    },

    /** Revokes for good: the secret stops working on every instance at once. */
    async revoke(id: string, input: { actor: string; ip?: string }): Promise<Client> {
      const row = await revokeClient(db, id, clock.now());
      if (!row) {
        const existing = await get(id); // 404 when unknown, otherwise already revoked
        return toPublicClient(existing);
      }
      await changes.publish('client', id);
      await audit.record({ orgId: row.org_id, actor: input.actor, action: 'client.revoked', targetType: 'client', targetId: id, ip: input.ip });
      return toPublicClient(toRecord(row));
    },

    async get(id: string): Promise<Client> {
      return toPublicClient(await get(id));
    },

    async list(orgId: string, page: { limit: number; after?: { createdAt: Date; id: string }; type?: ClientType }): Promise<Client[]> {
      return (await listClientsByOrg(db, orgId, page)).map((row) => toPublicClient(toRecord(row)));
    },

    /** Cached lookup for the token path. */
    find,

    /**
     * The digest the OAuth layer should compare for a presented secret: the current digest when
     * the secret is the one replaced by a rotation still in its grace period, else its own digest.
     */
    async digestForPresentedSecret(id: string, secret: string): Promise<string> {
      const presented = digestSecret(secret);
      const record = await find(id);
      if (
        record?.secretDigest &&
        record.previousSecretDigest &&
        record.previousSecretExpiresAt &&
        record.previousSecretExpiresAt > clock.now() &&
        digestsEqual(presented, Buffer.from(record.previousSecretDigest, 'hex'))
      ) {
        return record.secretDigest;
      }
      return presented.toString('hex');
    },

    recordUse(id: string) {
      usage.record(id, clock.now());
    },
    flushUsage: usage.flush,
    close() {
      cache.close();
      return usage.close();
    },
  };
}

export type Clients = ReturnType<typeof createClients>;
