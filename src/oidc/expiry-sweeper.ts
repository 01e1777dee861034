import type { Logger } from '../observability/logger.js';
import type { Clock } from '../shared/clock.js';
import type { Db } from '../storage/db.js';
import { deleteExpiredGrantOrganizations } from '../storage/repositories/grant-organizations.js';
import { deleteExpiredPayloads } from '../storage/repositories/oidc-payloads.js';

const BATCH = 5_000;
/** A backlog larger than this is left for the next run rather than holding one run for long. */
const MAX_BATCHES_PER_RUN = 20;

/**
 * Expired grants and refresh tokens are ignored on read, but every rotation leaves a row behind
 * (the consumed token is kept until it expires, for replay detection), so without a sweep the
 * table only grows. Runs on every instance; concurrent sweeps only delete the same rows sooner.
 * Redis entries expire by themselves.
 */
export function createExpirySweeper(deps: { db: Db; clock: Clock; logger: Logger; intervalMs: number }) {
  const { db, clock, logger } = deps;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;

  async function drain(remove: (now: Date, limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_RUN; batch += 1) {
      const removed = await remove(clock.now(), BATCH);
      total += removed;
      if (removed < BATCH) break;
    }
    return total;
  }

  async function sweepOnce() {
    const payloads = await drain((now, limit) => deleteExpiredPayloads(db, now, limit));
    const grantOrganizations = await drain((now, limit) => deleteExpiredGrantOrganizations(db, now, limit));
    if (payloads + grantOrganizations > 0) logger.debug({ payloads, grantOrganizations }, 'expired grants and tokens deleted');
    return { payloads, grantOrganizations };
  }

  const tick = () => {
    if (running) return;
    running = sweepOnce()
      .catch((error: unknown) => logger.warn({ err: error }, 'could not delete expired grants and tokens'))
      .finally(() => (running = undefined));
  };

  return {
    sweepOnce,
    start() {
      timer = setInterval(tick, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
