import type { Redis } from 'ioredis';

import { createApiRegistry } from './apis/registry.js';
import type { Config } from './config/load.js';
import { createApiKeys } from './credentials/api-keys.js';
import { createClients } from './credentials/clients.js';
import { deriveCookieKeys, loadKeyEncryptionKey } from './keys/key-encryption.js';
import { createSigningKeys } from './keys/signing-keys.js';
import { createAuditLog } from './observability/audit.js';
import type { Logger } from './observability/logger.js';
import { createMemberships } from './orgs/memberships.js';
import { createOrganizations } from './orgs/organizations.js';
import { createPermissions } from './orgs/permissions.js';
import { createUsers } from './orgs/users.js';
import { systemClock, type Clock } from './shared/clock.js';
import { createChangeFeed } from './storage/changes.js';
import { openStorage } from './storage/db.js';
import { migrate } from './storage/migrate.js';
import { openRedis } from './storage/redis.js';

/**
 * Storage and domain services, without HTTP: shared by the server (app.ts) and the CLI.
 * Opening it applies pending migrations and makes sure a signing key exists.
 */
export async function openCore(config: Config, options: { logger: Logger; clock?: Clock; serveEmbedded?: boolean; connectRedis?: boolean }) {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const storage = await openStorage(config, { serveEmbedded: options.serveEmbedded });
  try {
    await migrate(storage.db);
    const redis: Redis | undefined = config.REDIS_URL && options.connectRedis !== false ? openRedis(config.REDIS_URL, { keyPrefix: config.REDIS_KEY_PREFIX }) : undefined;
    const changes = await createChangeFeed(storage);
    const audit = createAuditLog(storage.db);
    const kek = loadKeyEncryptionKey({ fromEnv: config.KEY_ENCRYPTION_KEY, keysDir: config.keysDir });
    const signingKeys = createSigningKeys({ db: storage.db, kek, clock });
    await signingKeys.initialize();
    const apis = createApiRegistry({ db: storage.db, audit, changes, defaultTokenLifetime: config.ACCESS_TOKEN_TTL });
    const organizations = createOrganizations({ db: storage.db, audit, clock });
    const users = createUsers({ db: storage.db, audit, clock, changes });
    const memberships = createMemberships({ db: storage.db, audit, clock, changes });
    const permissions = createPermissions({ db: storage.db, changes });
    const clients = createClients({
      db: storage.db,
      audit,
      clock,
      changes,
      lastUsedFlushMs: config.LAST_USED_FLUSH_INTERVAL * 1000,
      cacheRefreshMs: config.KEY_REFRESH_INTERVAL * 1000,
      onError: (error) => logger.warn({ err: error }, 'could not record last-used times'),
    });
    const apiKeys = createApiKeys({
      db: storage.db,
      audit,
      clock,
      changes,
      prefix: config.API_KEY_PREFIX,
      lastUsedFlushMs: config.LAST_USED_FLUSH_INTERVAL * 1000,
      cacheRefreshMs: config.KEY_REFRESH_INTERVAL * 1000,
      onError: (error) => logger.warn({ err: error }, 'could not record API key use'),
    });

    return {
      config,
      clock,
      logger,
      storage,
      redis,
      changes,
      audit,
      cookieKeys: deriveCookieKeys(kek),
      signingKeys,
      apis,
      organizations,
      users,
      memberships,
      permissions,
      clients,
      apiKeys,
      /** Longest time a token signed now can stay valid: how long a retired key stays published. */
      async keyRetentionSeconds() {
        const lifetimes = (await apis.list()).map((api) => api.tokenLifetimeSeconds);
        return Math.max(config.ACCESS_TOKEN_TTL, ...lifetimes) + 300;
      },
      async close() {
        await clients.close();
        await apiKeys.close();
        permissions.close();
        redis?.disconnect();
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close().catch(() => {});
    throw error;
  }
}

export type Core = Awaited<ReturnType<typeof openCore>>;
