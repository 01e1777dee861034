import { sql } from 'kysely';

import type { Config } from './config/load.js';
import { openCore } from './core.js';
import { createHttpApp } from './http/app.js';
import { createBatchedBudget } from './http/batched-budget.js';
import { oauthRateLimit } from './http/oauth-limits.js';
import { createLimiterFactory } from './http/rate-limit.js';
import { createMetrics } from './observability/metrics.js';
import type { Logger } from './observability/logger.js';
import { createAdapterFactory } from './oidc/adapters/index.js';
import { createMemoryStore } from './oidc/adapters/memory.js';
import { createPostgresStore } from './oidc/adapters/postgres.js';
import { createRedisStore } from './oidc/adapters/redis.js';
import { OIDC_PATHS } from './oidc/paths.js';
import { authorizeParams } from './oidc/authorize-params.js';
import { createGrantOrganizations } from './oidc/grant-organizations.js';
import { createInteractionRouter } from './oidc/interactions/router.js';
import { createProvider } from './oidc/provider.js';
import { createTokenBodyShim } from './oidc/token-body.js';
import { createIntrospection } from './oidc/introspection.js';
import { createTokenExchange } from './oidc/token-exchange.js';
import { createExpirySweeper } from './oidc/expiry-sweeper.js';
import { createManagementApi } from './admin/router.js';
import { ensureManagementApi } from './admin/management-api.js';
import { createAccessTokenVerifier } from './keys/access-tokens.js';
import { createAuditTrail } from './observability/audit-trail.js';
import type { Clock } from './shared/clock.js';

/** The one composition root: storage, services, oidc-provider and the HTTP app. */
export async function createTessera(config: Config, options: { logger: Logger; clock?: Clock; serveEmbedded?: boolean }) {
  const core = await openCore(config, options);
  const { storage, redis, signingKeys, clients, apis, logger } = core;

  // Machine credentials reach the management API with client_credentials for this audience.
  const managementApi = await ensureManagementApi(apis, config.ISSUER);
  // Verifies our own JWTs and whether what they stand for was revoked since (issue 4).
  const accessTokens = createAccessTokenVerifier({ issuer: config.ISSUER, signingKeys, clients, apiKeys: core.apiKeys, users: core.users, clock: core.clock });
  const metrics = createMetrics();
  const limiter = createLimiterFactory({ redis, logger, onReject: (name) => metrics.rateLimited.inc({ limit: name }) });
  const memoryStore = redis ? undefined : createMemoryStore();
  const durableStore = createPostgresStore({ db: storage.db, clock: core.clock });
  const adapter = createAdapterFactory({
    findClient: clients.find,
    durable: durableStore,
    ephemeral: redis ? createRedisStore(redis) : memoryStore!,
  });
  // The organization each person's grant acts for; durable like the grant (same lifetime).
  const grantOrganizations = createGrantOrganizations({ db: storage.db, clock: core.clock, ttlSeconds: config.REFRESH_TOKEN_MAX_TTL });
  const expirySweeper = createExpirySweeper({ db: storage.db, clock: core.clock, logger, intervalMs: config.EXPIRED_SWEEP_INTERVAL * 1000 });
  expirySweeper.start();
  const oidc = await createProvider({
    issuer: config.ISSUER,
    trustProxy: config.TRUSTED_PROXIES.length > 0,
    adapter,
    clients,
    apis,
    audit: core.audit,
    logger,
    cookieKeys: core.cookieKeys,
    signingKeys,
    defaultAccessTokenTtl: config.ACCESS_TOKEN_TTL,
    people: {
      clients: core.clients,
      users: core.users,
      memberships: core.memberships,
      permissions: core.permissions,
      grantOrganizations,
      refreshTokenTtl: config.REFRESH_TOKEN_TTL,
      refreshTokenMaxTtl: config.REFRESH_TOKEN_MAX_TTL,
    },
  });
  oidc.provider.on('grant.success', (ctx) => metrics.tokensIssued.inc({ grant_type: String(ctx.oidc.params?.grant_type ?? 'unknown') }));
  // A refresh token's consumption rides on its successor's save; whatever a request left is made here.
  const settle = (ctx: object) => {
    durableStore.settle(ctx)?.catch((error: unknown) => logger.error({ err: error }, 'could not consume a refresh token'));
  };
  oidc.provider.on('grant.success', settle);
  oidc.provider.on('grant.error', settle);

  // Another process (the CLI, another instance) may rotate keys: hear it at once through the
  // change feed, and poll as a safety net for a missed notification.
  // The provider's keystore is rebuilt whenever the published set differs from what it was
  // built with, whoever loaded the change (a rotation made here loads it in signingKeys too).
  let appliedKeys = signingKeys.version();
  const refreshKeys = async () => {
    try {
      await signingKeys.refresh();
      if (signingKeys.version() !== appliedKeys) {
        appliedKeys = signingKeys.version();
        oidc.reloadKeys();
        logger.info({ kid: signingKeys.activeKid() }, 'signing keys reloaded');
      }
    } catch (error) {
      logger.warn({ err: error }, 'could not refresh signing keys');
    }
  };
  core.changes.subscribe((topic) => {
    if (topic === 'signing_key') void refreshKeys();
  });
  const keyTimer = setInterval(() => void refreshKeys(), config.KEY_REFRESH_INTERVAL * 1000);
  keyTimer.unref();

  const anonymousLimit = limiter('anonymous', { points: config.RATE_LIMIT_ANONYMOUS_PER_MINUTE, duration: 60 });
  const tokenBudget = createBatchedBudget(limiter('token', { points: config.RATE_LIMIT_TOKEN_PER_MINUTE, duration: 60 }), { syncMs: 100 });
  const oauthPaths = [OIDC_PATHS.token, OIDC_PATHS.revocation, OIDC_PATHS.introspection];
  const app = createHttpApp({
    logger,
    metrics,
    https: config.ISSUER.startsWith('https:'),
    trustedProxies: config.TRUSTED_PROXIES,
    provider: oidc.provider,
    cookieKeys: core.cookieKeys,
    jwks: signingKeys.jwks,
    jwksPath: OIDC_PATHS.jwks,
    readiness: {
      postgres: async () => {
        await sql`select 1`.execute(storage.db);
      },
      ...(redis ? { redis: async () => void (await redis.ping()) } : {}),
    },
    routers: [
      createManagementApi({
        audience: managementApi.identifier,
        verifier: accessTokens,
        clients,
        apiKeys: core.apiKeys,
        users: core.users,
        memberships: core.memberships,
        permissions: core.permissions,
        auditTrail: createAuditTrail(storage.db),
        limit: limiter('management', { points: config.RATE_LIMIT_MANAGEMENT_PER_MINUTE, duration: 60 }),
        anonymousLimit,
      }),
      // Before oidc-provider: Auth0's `audience` and offline_access without prompt=consent at /authorize.
      authorizeParams(OIDC_PATHS.authorization),
      createInteractionRouter({
        provider: oidc.provider,
        users: core.users,
        memberships: core.memberships,
        clients,
        grantOrganizations,
        audit: core.audit,
        logger,
        csrfKey: core.cookieKeys[0]!,
        loginFailures: limiter('login-failures', { points: config.RATE_LIMIT_LOGIN_FAILURES, duration: 900 }),
      }),
    ],
    oauthPaths,
    beforeProvider: [
      createTokenBodyShim({
        clients,
        apis,
        bodyLimit: config.BODY_LIMIT,
        defaultAudience: config.DEFAULT_AUDIENCE,
        tokenPath: OIDC_PATHS.token,
        paths: oauthPaths,
      }),
      oauthRateLimit(oauthPaths, {
        perClient: tokenBudget,
        authFailures: limiter('client-auth-failures', { points: config.RATE_LIMIT_AUTH_FAILURES, duration: 300 }),
        anonymous: anonymousLimit,
      }),
      // After the shim (parsed params) and the limits; both answer only what oidc-provider cannot:
      // JWTs and API keys at introspection, the API-key token exchange at the token endpoint.
      createIntrospection({ path: OIDC_PATHS.introspection, clients, apiKeys: core.apiKeys, verifier: accessTokens }),
      createTokenExchange({
        path: OIDC_PATHS.token,
        issuer: config.ISSUER,
        defaultAudience: config.DEFAULT_AUDIENCE,
        apis,
        apiKeys: core.apiKeys,
        permissionsFor: (api, role) => core.permissions.forApi(api, role as never),
        signingKeys,
        clock: core.clock,
      }),
    ],
  });

  return {
    app,
    core,
    metrics,
    limiter,
    provider: oidc.provider,
    async close() {
      clearInterval(keyTimer);
      await expirySweeper.stop();
      tokenBudget.close();
      memoryStore?.close();
      await core.close();
    },
  };
}

export type Tessera = Awaited<ReturnType<typeof createTessera>>;
