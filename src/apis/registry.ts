import type { AuditLog } from '../observability/audit.js';
import { ConflictError } from '../shared/errors.js';
import { newId } from '../shared/random.js';
import type { ChangeFeed } from '../storage/changes.js';
import type { Db } from '../storage/db.js';
import { findApiByIdentifier, insertApi, listApis } from '../storage/repositories/apis.js';
import { isUniqueViolation } from '../storage/pg-errors.js';

/** An API that tokens are issued for (a resource server, identified by its audience). */
export interface Api {
  id: string;
  identifier: string;
  name: string;
  tokenLifetimeSeconds: number;
  scopes: string[];
  createdAt: Date;
}

const toApi = (row: Awaited<ReturnType<typeof insertApi>>): Api => ({
  id: row.id,
  identifier: row.identifier,
  name: row.name,
  tokenLifetimeSeconds: row.token_lifetime_seconds,
  scopes: row.scopes,
  createdAt: row.created_at,
});

/**
 * The APIs known to Tessera. Every token request names one, so lookups are served from an
 * in-process cache (a miss is cached too, briefly). A change notification marks the API's
 * entry for re-reading rather than dropping it: if that read fails (Postgres is down) the last
 * known API keeps serving, as credentials do, so the token path keeps working through an outage
 * even when a notification (this instance's own, echoed back by NOTIFY) lands just before it.
 */
export function createApiRegistry(deps: { db: Db; audit: AuditLog; changes: ChangeFeed; defaultTokenLifetime: number }) {
  const { db, audit, changes } = deps;
  const cache = new Map<string, { api: Api | undefined; at: number; stale?: boolean }>();
  const MISS_TTL_MS = 5_000;
  // A new or changed API makes its own entry stale and drops every cached miss (it may be one of them).
  changes.subscribe((topic, id) => {
    if (topic !== 'api') return;
    for (const [identifier, entry] of cache) {
      if (!entry.api) cache.delete(identifier);
      else if (entry.api.id === id) entry.stale = true;
    }
  });

  return {
    async create(input: { identifier: string; name: string; tokenLifetimeSeconds?: number; scopes?: string[]; actor: string }): Promise<Api> {
      try {
        const row = await insertApi(db, {
          id: newId('api'),
          identifier: input.identifier,
          name: input.name,
          token_lifetime_seconds: input.tokenLifetimeSeconds ?? deps.defaultTokenLifetime,
          scopes: input.scopes ?? [],
        });
        await audit.record({ orgId: null, actor: input.actor, action: 'api.created', targetType: 'api', targetId: row.id, details: { identifier: row.identifier } });
        await changes.publish('api', row.id);
        return toApi(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new ConflictError(`an API with identifier ${input.identifier} already exists`);
        throw error;
      }
    },
    async findByIdentifier(identifier: string): Promise<Api | undefined> {
      const cached = cache.get(identifier);
      if (cached && !cached.stale && (cached.api || Date.now() - cached.at < MISS_TTL_MS)) return cached.api;
      let row: Awaited<ReturnType<typeof findApiByIdentifier>>;
      try {
        row = await findApiByIdentifier(db, identifier);
      } catch (error) {
        // Unreadable (Postgres down): the last known API answers, and is asked for again next time.
        if (cached?.api) return cached.api;
        throw error;
      }
      const api = row ? toApi(row) : undefined;
      if (cache.size > 10_000) cache.clear();
      cache.set(identifier, { api, at: Date.now() });
      return api;
    },
    async list(): Promise<Api[]> {
      return (await listApis(db)).map(toApi);
    },
  };
}

export type ApiRegistry = ReturnType<typeof createApiRegistry>;
