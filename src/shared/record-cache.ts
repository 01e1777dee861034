/**
 * A per-process cache of records read by id (credentials, API keys, permissions: what the token
 * and introspection paths read on every request). Change notifications drop an entry at once
 * (`drop`, `clear`); as a backstop for a notification that never arrived, an entry older than
 * `refreshMs` is re-read. That re-read does not hold up the request that finds the entry old: it
 * keeps the cached record, and the ids found old within `batchWindowMs` are re-read together,
 * in one statement when `loadMany` is given. A tenant with a thousand credentials in use pays a
 * few statements a second for this, not one per credential per interval on its token path.
 * While the database is down, entries keep serving what was last read.
 */
export function createRecordCache<T>(deps: {
  load: (id: string) => Promise<T | undefined>;
  /** Reads several at once; absent ids are records that no longer exist. */
  loadMany?: (ids: string[]) => Promise<Map<string, T>>;
  refreshMs: number;
  limit: number;
  batchWindowMs?: number;
  batchLimit?: number;
}) {
  interface Entry {
    record: Promise<T | undefined>;
    loadedAt: number;
    refreshing: boolean;
  }
  const entries = new Map<string, Entry>();
  const due = new Map<string, Entry>();
  const batchLimit = deps.batchLimit ?? 500;
  const loadEach = async (ids: string[]) => {
    const found = new Map<string, T>();
    await Promise.all(
      ids.map(async (id) => {
        const record = await deps.load(id);
        if (record !== undefined) found.set(id, record);
      }),
    );
    return found;
  };
  const loadMany = deps.loadMany ?? loadEach;
  let timer: NodeJS.Timeout | undefined;

  function get(id: string): Promise<T | undefined> {
    const entry = entries.get(id);
    if (!entry) return loadNow(id);
    if (!entry.refreshing && Date.now() - entry.loadedAt >= deps.refreshMs) {
      entry.refreshing = true;
      due.set(id, entry);
      timer ??= setTimeout(() => void refreshDue(), deps.batchWindowMs ?? 50).unref();
    }
    return entry.record;
  }

  function loadNow(id: string): Promise<T | undefined> {
    if (entries.size >= deps.limit) entries.delete(entries.keys().next().value!);
    const record = deps.load(id).catch((error: unknown) => {
      entries.delete(id); // a failed first read must not stay cached
      throw error;
    });
    entries.set(id, { record, loadedAt: Date.now(), refreshing: false });
    return record;
  }

  async function refreshDue() {
    timer = undefined;
    const batch: Array<[string, Entry]> = [];
    for (const pair of due) {
      if (batch.length === batchLimit) break;
      batch.push(pair);
    }
    for (const [id] of batch) due.delete(id);
    if (due.size > 0) timer = setTimeout(() => void refreshDue(), 0).unref();
    if (batch.length === 0) return; // all dropped (change notifications) within the window
    let found: Map<string, T>;
    try {
      found = await loadMany(batch.map(([id]) => id));
    } catch {
      // Database unreachable: keep serving the cached records, and try again after refreshMs.
      const now = Date.now();
      for (const [, entry] of batch) Object.assign(entry, { loadedAt: now, refreshing: false });
      return;
    }
    const now = Date.now();
    for (const [id, entry] of batch) {
      // Dropped or replaced meanwhile (a change notification): what was just read may be older.
      if (entries.get(id) !== entry) continue;
      entries.set(id, { record: Promise.resolve(found.get(id)), loadedAt: now, refreshing: false });
    }
  }

  return {
    get,
    drop(id: string) {
      entries.delete(id);
      due.delete(id);
    },
    clear() {
      entries.clear();
      due.clear();
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
