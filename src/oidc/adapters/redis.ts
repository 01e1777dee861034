import type { Redis } from 'ioredis';

import { guardRedis } from '../../storage/redis.js';
import type { Adapter, AdapterPayload, OnReplay } from './types.js';

const PREFIX = 'tessera:oidc:';

/**
 * Marks an artifact consumed only if it exists and nobody did before; one round trip, atomic
 * on the Redis server, so two instances racing to redeem one code get exactly one success.
 * Returns 1 (won), 0 (already consumed) or -1 (gone).
 */
const CONSUME_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1])
`;

/**
 * Ephemeral artifacts (sessions, interactions, codes, replay detection) in Redis, each a hash
 * { payload, consumed? } with the artifact's TTL. Grant, uid and user-code indexes are sets or
 * strings that expire with it.
 */
export function createRedisStore(redis: Redis) {
  redis.defineCommand('tesseraConsume', { numberOfKeys: 1, lua: CONSUME_SCRIPT });
  const consumeCommand = (key: string, at: number) =>
    (redis as unknown as { tesseraConsume(key: string, at: number): Promise<number> }).tesseraConsume(key, at);

  return {
    adapter(model: string, onReplay: OnReplay): Adapter {
      const key = (id: string) => `${PREFIX}${model}:${id}`;
      const grantKey = (grantId: string) => `${PREFIX}grant:${model}:${grantId}`;

      const read = async (id: string): Promise<AdapterPayload | undefined> => {
        const hash = await guardRedis(() => redis.hgetall(key(id)));
        if (!hash.payload) return undefined;
        const payload = JSON.parse(hash.payload) as AdapterPayload;
        if (hash.consumed) payload.consumed = Number(hash.consumed);
        return payload;
      };

      return {
        async upsert(id, payload, expiresIn) {
          const multi = redis.multi().del(key(id)).hset(key(id), 'payload', JSON.stringify(payload));
          if (payload.consumed) multi.hset(key(id), 'consumed', String(payload.consumed));
          if (expiresIn) multi.expire(key(id), expiresIn);
          if (payload.grantId) {
            multi.sadd(grantKey(payload.grantId), id);
            if (expiresIn) multi.expire(grantKey(payload.grantId), expiresIn, 'GT');
          }
          for (const [kind, value] of [['uid', payload.uid], ['userCode', payload.userCode]] as const) {
            if (!value) continue;
            const indexKey = `${PREFIX}${kind}:${model}:${value}`;
            if (expiresIn) multi.set(indexKey, id, 'EX', expiresIn);
            else multi.set(indexKey, id);
          }
          await guardRedis(() => multi.exec());
        },
        find: read,
        async findByUid(uid) {
          const id = await guardRedis(() => redis.get(`${PREFIX}uid:${model}:${uid}`));
          return id ? read(id) : undefined;
        },
        async findByUserCode(userCode) {
          const id = await guardRedis(() => redis.get(`${PREFIX}userCode:${model}:${userCode}`));
          return id ? read(id) : undefined;
        },
        async consume(id) {
          const won = await guardRedis(() => consumeCommand(key(id), Math.floor(Date.now() / 1000)));
          // Gone (-1) is a loss too: a racing loser's replay handling revoked it after our find.
          if (won !== 1) await onReplay((await read(id)) ?? {});
        },
        async destroy(id) {
          await guardRedis(() => redis.del(key(id)));
        },
        async revokeByGrantId(grantId) {
          const ids = await guardRedis(() => redis.smembers(grantKey(grantId)));
          if (ids.length === 0) return;
          await guardRedis(() => redis.del(...ids.map(key), grantKey(grantId)));
        },
      };
    },
  };
}
