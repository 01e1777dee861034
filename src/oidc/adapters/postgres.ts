import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../storage/db.js';
import { guard } from '../../storage/db.js';
import {
  consumePayload,
  destroyPayload,
  destroyPayloadsByGrant,
  findPayload,
  findPayloadBy,
} from '../../storage/repositories/oidc-payloads.js';
import { upsertPayload } from '../../storage/repositories/oidc-payloads.js';
import type { Adapter, AdapterPayload, OnReplay } from './types.js';

/** Durable artifacts (grants, refresh tokens) in Postgres, so a Redis restart signs nobody out. */
export function createPostgresStore(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  const withConsumed = (row: { payload: Record<string, unknown>; consumed_at: Date | null } | undefined) => {
    if (!row) return undefined;
    const payload = row.payload as AdapterPayload;
    if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at.getTime() / 1000);
    return payload;
  };

  return {
    adapter(model: string, onReplay: OnReplay): Adapter {
      return {
        async upsert(id, payload, expiresIn) {
          await guard(() =>
            upsertPayload(db, {
              model,
              id,
              payload,
              grantId: payload.grantId,
              uid: payload.uid,
              userCode: payload.userCode,
              expiresAt: expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : undefined,
            }),
          );
        },
        async find(id) {
          return withConsumed(await guard(() => findPayload(db, model, id, clock.now())));
        },
        async findByUid(uid) {
          return withConsumed(await guard(() => findPayloadBy(db, model, 'uid', uid, clock.now())));
        },
        async findByUserCode(userCode) {
          return withConsumed(await guard(() => findPayloadBy(db, model, 'user_code', userCode, clock.now())));
        },
        async consume(id) {
          const won = await guard(() => consumePayload(db, model, id, clock.now()));
          // A row deleted under us (a racing loser revoked the grant) is a loss too.
          if (!won) await onReplay((await this.find(id)) ?? {});
        },
        async destroy(id) {
          await guard(() => destroyPayload(db, model, id));
        },
        async revokeByGrantId(grantId) {
          await guard(() => destroyPayloadsByGrant(db, model, grantId));
        },
      };
    },
  };
}
