import Provider from 'oidc-provider';

import type { Clock } from '../../shared/clock.js';
import { requestScoped } from '../../shared/request-scoped.js';
import type { Db } from '../../storage/db.js';
import { guard } from '../../storage/db.js';
import {
  consumeAndUpsertPayload,
  consumePayload,
  destroyPayload,
  destroyPayloadsByGrant,
  findPayload,
  findPayloadBy,
  upsertPayload,
} from '../../storage/repositories/oidc-payloads.js';
import { findRefreshTokenContext } from '../../storage/repositories/refresh-token-reads.js';
import { rememberActor } from '../account.js';
import { toGrantActor } from '../grant-organizations.js';
import type { Adapter, AdapterPayload, OnReplay } from './types.js';

/**
 * What one request has read ahead or still owes Postgres. oidc-provider's refresh grant reads
 * the refresh token, then its grant, then the person (three round trips), and consumes the token
 * just before saving its successor (two more). The token is read with its grant and person in
 * one statement, and the consumption travels with the successor's save in another: two round
 * trips a refresh. Kept on the request's context (oidc-provider's AsyncLocalStorage), so
 * nothing outlives the request; outside a request (the CLI, tests) every call goes straight on.
 */
interface RequestState {
  ctx: object;
  grants: Map<string, AdapterPayload | undefined>;
  /** A refresh token whose consumption waits for its successor's save. */
  pendingConsume?: string;
}

const requestStates = requestScoped<RequestState>('tessera.postgres-request-state');

type StoredRow = { payload: Record<string, unknown>; consumed_at: Date | null };

const withConsumed = (row: StoredRow | undefined) => {
  if (!row) return undefined;
  const payload = row.payload as AdapterPayload;
  if (row.consumed_at) payload.consumed = Math.floor(row.consumed_at.getTime() / 1000);
  return payload;
};

/** Durable artifacts (grants, refresh tokens) in Postgres, so a Redis restart signs nobody out. */
export function createPostgresStore(deps: {
  db: Db;
  clock: Clock;
  /** The request being served, if any (oidc-provider's by default). */
  currentRequest?: () => object | undefined;
}) {
  const { db, clock, currentRequest = () => Provider.ctx } = deps;

  /** This request's state, made on first use (a refresh token read or consumed). */
  function requestState(): RequestState | undefined {
    const ctx = currentRequest();
    if (!ctx) return undefined;
    return requestStates.getOrCreate(ctx, () => ({ ctx, grants: new Map() }));
  }
  /** This request's state if it has one; other reads and saves make none. */
  const existingState = (): RequestState | undefined => {
    const ctx = currentRequest();
    return ctx ? requestStates.get(ctx) : undefined;
  };

  const consume = (model: string, id: string) => guard(() => consumePayload(db, model, id, clock.now()));

  /** The refresh token, with its grant and person kept for the rest of the request. */
  async function findRefreshToken(id: string, state: RequestState) {
    const row = await guard(() => findRefreshTokenContext(db, id, clock.now()));
    if (!row) return undefined;
    const payload = withConsumed(row);
    if (row.grant_id) {
      state.grants.set(row.grant_id, (row.grant_payload ?? undefined) as AdapterPayload | undefined);
      const accountId = payload?.accountId;
      if (typeof accountId === 'string') rememberActor(state.ctx, row.grant_id, accountId, row.id === null ? undefined : toGrantActor(row));
    }
    return payload;
  }

  return {
    adapter(model: string, onReplay: OnReplay): Adapter {
      const rowOf = (id: string, payload: AdapterPayload, expiresIn: number | undefined) => ({
        model,
        id,
        payload,
        grantId: payload.grantId,
        uid: payload.uid,
        userCode: payload.userCode,
        expiresAt: expiresIn ? new Date(clock.now().getTime() + expiresIn * 1000) : undefined,
      });

      return {
        async upsert(id, payload, expiresIn) {
          const state = model === 'RefreshToken' ? existingState() : undefined;
          const consumedId = state?.pendingConsume;
          if (!consumedId) {
            await guard(() => upsertPayload(db, rowOf(id, payload, expiresIn)));
            return;
          }
          state.pendingConsume = undefined;
          const won = await guard(() => consumeAndUpsertPayload(db, consumedId, clock.now(), rowOf(id, payload, expiresIn)));
          // Another request rotated the same token first: its family is revoked, nothing was stored.
          if (!won) await onReplay((await this.find(consumedId)) ?? {});
        },
        async find(id) {
          const state = model === 'RefreshToken' ? requestState() : model === 'Grant' ? existingState() : undefined;
          if (state && model === 'RefreshToken') return findRefreshToken(id, state);
          if (state?.grants.has(id)) {
            const grant = state.grants.get(id);
            state.grants.delete(id);
            return grant;
          }
          return withConsumed(await guard(() => findPayload(db, model, id, clock.now())));
        },
        async findByUid(uid) {
          return withConsumed(await guard(() => findPayloadBy(db, model, 'uid', uid, clock.now())));
        },
        async findByUserCode(userCode) {
          return withConsumed(await guard(() => findPayloadBy(db, model, 'user_code', userCode, clock.now())));
        },
        async consume(id) {
          // oidc-provider saves the successor right after; the two go in one statement (upsert).
          const state = model === 'RefreshToken' ? requestState() : undefined;
          if (state && !state.pendingConsume) {
            state.pendingConsume = id;
            return;
          }
          const won = await consume(model, id);
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

    /**
     * Called when a token request ends: a consumption no successor's save took along (the
     * request failed in between) is made now, so a consumed token never stays usable. Answers
     * nothing (no promise) for the many requests that left none: it runs on every token request.
     */
    settle(ctx: object): Promise<unknown> | undefined {
      const state = requestStates.get(ctx);
      const id = state?.pendingConsume;
      if (!id) return undefined;
      state.pendingConsume = undefined;
      return consume('RefreshToken', id);
    },
  };
}
