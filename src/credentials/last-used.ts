/**
 * Coalesces "last used" times: the token path only writes into a map, and the map is flushed
 * in one batch per interval, so a busy credential costs one database write per interval,
 * not one per request (issue 4: at most one write per credential per minute).
 */
export function createUsageTracker(deps: {
  flush: (uses: ReadonlyMap<string, Date>) => Promise<void>;
  intervalMs: number;
  onError: (error: unknown) => void;
}) {
  let pending = new Map<string, Date>();
  const timer = setInterval(() => void flushNow(), deps.intervalMs);
  timer.unref();

  async function flushNow() {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await deps.flush(batch);
    } catch (error) {
      // Keep the newest time for the next round rather than lose it.
      for (const [id, at] of batch) if (!pending.has(id)) pending.set(id, at);
      deps.onError(error);
    }
  }

  return {
    record(id: string, at: Date) {
      pending.set(id, at);
    },
    flush: flushNow,
    async close() {
      clearInterval(timer);
      await flushNow();
    },
  };
}

export type UsageTracker = ReturnType<typeof createUsageTracker>;
