import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

import { createMemoryStore } from '../../src/oidc/adapters/memory.js';
import { createPostgresStore } from '../../src/oidc/adapters/postgres.js';
import { createRedisStore } from '../../src/oidc/adapters/redis.js';
import { createExpirySweeper } from '../../src/oidc/expiry-sweeper.js';
import { createGrantOrganizations } from '../../src/oidc/grant-organizations.js';
import { createLogger } from '../../src/observability/logger.js';
import type { Adapter, AdapterPayload } from '../../src/oidc/adapters/types.js';
import { openRedis } from '../../src/storage/redis.js';
import { createEnvironment, openSecondProcessCore, usingRedis, type TestEnvironment } from '../support/tessera.js';
import type { Core } from '../../src/core.js';

/**
 * One contract, run against every store an artifact can live in: the in-process store always,
 * Postgres (or PGlite) always, Redis when REDIS_URL is set (CI sets it).
 */
let environment: TestEnvironment;
let core: Core;
let redis: ReturnType<typeof openRedis> | undefined;
const memory = createMemoryStore();

beforeAll(async () => {
  environment = await createEnvironment();
  core = await openSecondProcessCore(environment);
  if (usingRedis) redis = openRedis(process.env.REDIS_URL!);
});

afterAll(async () => {
  memory.close();
  redis?.disconnect();
  await core.close();
  await environment.cleanup();
});

type StoreName = 'memory' | 'postgres' | 'redis';
const stores: StoreName[] = usingRedis ? ['memory', 'postgres', 'redis'] : ['memory', 'postgres'];

function adapterFor(store: StoreName, model: string, replays: AdapterPayload[]): Adapter {
  const onReplay = async (payload: AdapterPayload) => {
    replays.push(payload);
    throw Object.assign(new Error('grant already used'), { error: 'invalid_grant' });
  };
  if (store === 'memory') return memory.adapter(model, onReplay);
  if (store === 'redis') return createRedisStore(redis!).adapter(model, onReplay);
  return createPostgresStore({ db: core.storage.db, clock: { now: () => new Date() } }).adapter(model, onReplay);
}

const newId = () => randomBytes(12).toString('base64url');

describe.each(stores)('%s store', (store) => {
  test('stores, finds, indexes by uid and destroys', async () => {
    const adapter = adapterFor(store, 'Interaction', []);
    const id = newId();
    const uid = newId();
    await adapter.upsert(id, { kind: 'Interaction', uid, jti: id }, 60);
    await expect(adapter.find(id)).resolves.toMatchObject({ uid });
    await expect(adapter.findByUid(uid)).resolves.toMatchObject({ jti: id });
    await adapter.destroy(id);
    await expect(adapter.find(id)).resolves.toBeUndefined();
  });

  test('forgets an artifact when its TTL runs out', async () => {
    const adapter = adapterFor(store, 'Session', []);
    const id = newId();
    await adapter.upsert(id, { kind: 'Session', jti: id }, 1);
    await expect(adapter.find(id)).resolves.toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await expect(adapter.find(id)).resolves.toBeUndefined();
  });

  test('two racing consumes of one code: exactly one wins, the loser revokes the grant', async () => {
    const replays: AdapterPayload[] = [];
    const adapter = adapterFor(store, 'AuthorizationCode', replays);
    const id = newId();
    const grantId = newId();
    await adapter.upsert(id, { kind: 'AuthorizationCode', jti: id, grantId }, 60);

    const results = await Promise.allSettled(Array.from({ length: 8 }, () => adapter.consume(id)));

    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected')).toHaveLength(7);
    expect(replays.every((payload) => payload.grantId === grantId)).toBe(true);
    expect((await adapter.find(id))?.consumed).toEqual(expect.any(Number));
  });

  test('consuming an artifact revoked after it was found is refused (racing code redemptions)', async () => {
    const adapter = adapterFor(store, 'AuthorizationCode', []);
    await expect(adapter.consume(newId())).rejects.toThrow();
  });

  test('revokeByGrantId removes every artifact of that grant and nothing else', async () => {
    const adapter = adapterFor(store, 'RefreshToken', []);
    const grantId = newId();
    const mine = [newId(), newId()];
    const other = newId();
    for (const id of mine) await adapter.upsert(id, { kind: 'RefreshToken', jti: id, grantId }, 60);
    await adapter.upsert(other, { kind: 'RefreshToken', jti: other, grantId: newId() }, 60);
    await adapter.revokeByGrantId(grantId);
    for (const id of mine) await expect(adapter.find(id)).resolves.toBeUndefined();
    await expect(adapter.find(other)).resolves.toBeDefined();
  });
});

describe('expired grants and refresh tokens in Postgres', () => {
  test('are deleted by the sweeper; live ones stay', async () => {
    const { db } = core.storage;
    const anHourAgo = { now: () => new Date(Date.now() - 3_600_000) };
    const now = { now: () => new Date() };
    const noReplay = async () => {};
    const [expired, live] = [newId(), newId()];
    await createPostgresStore({ db, clock: anHourAgo }).adapter('RefreshToken', noReplay).upsert(expired, { kind: 'RefreshToken', jti: expired }, 60);
    await createPostgresStore({ db, clock: now }).adapter('RefreshToken', noReplay).upsert(live, { kind: 'RefreshToken', jti: live }, 60);
    const user = await core.users.create({ email: `sweep-${newId()}@example.com`, password: 'correct horse battery staple', name: 'Sweep', emailVerified: true, actor: 'test' });
    const org = await core.organizations.create({ name: `Sweep ${newId()}`, actor: 'test' });
    const [expiredGrant, liveGrant] = [newId(), newId()];
    await createGrantOrganizations({ db, clock: anHourAgo, ttlSeconds: 60 }).record(expiredGrant, user.id, org.id);
    await createGrantOrganizations({ db, clock: now, ttlSeconds: 60 }).record(liveGrant, user.id, org.id);

    const swept = await createExpirySweeper({ db, clock: now, logger: createLogger('silent'), intervalMs: 60_000 }).sweepOnce();

    expect(swept.payloads).toBeGreaterThanOrEqual(1);
    expect(swept.grantOrganizations).toBeGreaterThanOrEqual(1);
    const payloads = await db.selectFrom('oidc_payloads').select('id').where('id', 'in', [expired, live]).execute();
    expect(payloads.map((row) => row.id)).toEqual([live]);
    const grants = await db.selectFrom('grant_organizations').select('grant_id').where('grant_id', 'in', [expiredGrant, liveGrant]).execute();
    expect(grants.map((row) => row.grant_id)).toEqual([liveGrant]);
  });
});

describe('refresh-token rotation in Postgres, inside a token request', () => {
  // Each token request is its own context, as oidc-provider keeps it in AsyncLocalStorage.
  const requests = new AsyncLocalStorage<object>();
  const inRequest = <T>(work: () => Promise<T>) => {
    const ctx = {};
    return { ctx, done: requests.run(ctx, work) };
  };
  const rotation = (replays: AdapterPayload[] = []) => {
    const store = createPostgresStore({ db: core.storage.db, clock: { now: () => new Date() }, currentRequest: () => requests.getStore() });
    const onReplay = async (payload: AdapterPayload) => {
      replays.push(payload);
      throw Object.assign(new Error('refresh token already used'), { error: 'invalid_grant' });
    };
    return { store, tokens: store.adapter('RefreshToken', onReplay), grants: store.adapter('Grant', onReplay) };
  };
  const stored = async (ids: string[]) =>
    core.storage.db.selectFrom('oidc_payloads').select(['id', 'consumed_at']).where('model', '=', 'RefreshToken').where('id', 'in', ids).execute();
  const givenToken = async (tokens: Adapter) => {
    const [id, grantId] = [newId(), newId()];
    await tokens.upsert(id, { kind: 'RefreshToken', jti: id, grantId }, 600);
    return { id, grantId };
  };

  test('the old token is consumed together with its successor\'s save, and by settle when no save follows', async () => {
    const { store, tokens } = rotation();
    const old = await givenToken(tokens);
    const successor = newId();
    await inRequest(async () => {
      await tokens.consume(old.id);
      await tokens.upsert(successor, { kind: 'RefreshToken', jti: successor, grantId: old.grantId }, 600);
    }).done;
    const rows = await stored([old.id, successor]);
    expect(rows.find((row) => row.id === old.id)?.consumed_at).toBeInstanceOf(Date);
    expect(rows.find((row) => row.id === successor)?.consumed_at).toBeNull();

    // A request that fails between the consumption and the save still leaves the token consumed.
    const abandoned = await givenToken(tokens);
    const request = inRequest(() => tokens.consume(abandoned.id));
    await request.done;
    await store.settle(request.ctx);
    expect((await stored([abandoned.id]))[0]?.consumed_at).toBeInstanceOf(Date);
  });

  test('two requests rotating one token at once: exactly one successor is stored, the other is a replay', async () => {
    const replays: AdapterPayload[] = [];
    const { tokens } = rotation(replays);
    const old = await givenToken(tokens);
    const successors = [newId(), newId(), newId(), newId()];
    const outcomes = await Promise.allSettled(
      successors.map((successor) =>
        inRequest(async () => {
          await tokens.consume(old.id);
          await tokens.upsert(successor, { kind: 'RefreshToken', jti: successor, grantId: old.grantId }, 600);
        }).done,
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    expect(replays).toHaveLength(3);
    expect(replays.every((payload) => payload.grantId === old.grantId)).toBe(true);
    expect(await stored(successors)).toHaveLength(1);
  });

  test('reading a refresh token brings its grant along: the grant is answered from that read', async () => {
    const { tokens, grants } = rotation();
    const old = await givenToken(tokens);
    await grants.upsert(old.grantId, { kind: 'Grant', jti: old.grantId, accountId: 'usr_x' }, 600);
    const seen = await inRequest(async () => {
      expect(await tokens.find(old.id)).toMatchObject({ jti: old.id, grantId: old.grantId });
      await core.storage.db.deleteFrom('oidc_payloads').where('model', '=', 'Grant').where('id', '=', old.grantId).execute();
      return grants.find(old.grantId);
    }).done;
    expect(seen).toMatchObject({ kind: 'Grant', jti: old.grantId });
    // Outside that request the grant is read afresh (and is gone).
    expect(await grants.find(old.grantId)).toBeUndefined();
  });
});
