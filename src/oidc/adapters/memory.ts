import type { Adapter, AdapterPayload, OnReplay } from './types.js';

interface Entry {
  payload: AdapterPayload;
  expiresAt: number | undefined;
}

/**
 * In-process store for ephemeral artifacts when REDIS_URL is unset (one instance only).
 * Node runs one callback at a time, so check-and-set in `consume` is atomic by construction.
 */
export function createMemoryStore() {
  const entries = new Map<string, Entry>();
  const index = new Map<string, Set<string>>();
  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [key, entry] of entries) if (entry.expiresAt !== undefined && entry.expiresAt <= now) entries.delete(key);
  }, 60_000);
  sweep.unref();

  const live = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== undefined && entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    adapter(model: string, onReplay: OnReplay): Adapter {
      const key = (id: string) => `${model}:${id}`;
      return {
        async upsert(id, payload, expiresIn) {
          entries.set(key(id), { payload: structuredClone(payload), expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined });
          for (const [kind, value] of [['grant', payload.grantId], ['uid', payload.uid], ['userCode', payload.userCode]] as const) {
            if (!value) continue;
            const indexKey = `${kind}:${value}`;
            if (!index.has(indexKey)) index.set(indexKey, new Set());
            index.get(indexKey)!.add(key(id));
          }
        },
        async find(id) {
          const entry = live(key(id));
          return entry ? structuredClone(entry.payload) : undefined;
        },
        async findByUid(uid) {
          // A session keeps its uid when its id is regenerated at login: skip the destroyed ids.
          for (const candidate of index.get(`uid:${uid}`) ?? []) {
            const entry = candidate.startsWith(`${model}:`) ? live(candidate) : undefined;
            if (entry) return structuredClone(entry.payload);
          }
          return undefined;
        },
        async findByUserCode(userCode) {
          for (const candidate of index.get(`userCode:${userCode}`) ?? []) {
            const entry = candidate.startsWith(`${model}:`) ? live(candidate) : undefined;
            if (entry) return structuredClone(entry.payload);
          }
          return undefined;
        },
        async consume(id) {
          const entry = live(key(id));
          // Revoked under us (a racing loser's replay handling) is a loss too.
          if (!entry) return onReplay({});
          if (entry.payload.consumed) return onReplay(entry.payload);
          entry.payload.consumed = Math.floor(Date.now() / 1000);
        },
        async destroy(id) {
          entries.delete(key(id));
        },
        async revokeByGrantId(grantId) {
          const keys = index.get(`grant:${grantId}`);
          if (!keys) return;
          for (const candidate of keys) if (candidate.startsWith(`${model}:`)) entries.delete(candidate);
        },
      };
    },
    close() {
      clearInterval(sweep);
    },
  };
}
