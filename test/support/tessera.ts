import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createTessera, type Tessera } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config/load.js';
import { openCore, type Core } from '../../src/core.js';
import { createLogger } from '../../src/observability/logger.js';
import { createTestDatabase } from './databases.js';

/** Where a test environment keeps its state: its own database (or PGlite dir) and keys dir. */
export interface TestEnvironment {
  env: Record<string, string | undefined>;
  cleanup(): Promise<void>;
}

/** Real Postgres and Redis when DATABASE_URL / REDIS_URL are set; the embedded default otherwise. */
export const usingPostgres = Boolean(process.env.DATABASE_URL);
export const usingRedis = Boolean(process.env.REDIS_URL);

export async function createEnvironment(overrides: Record<string, string> = {}): Promise<TestEnvironment> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tessera-test-'));
  const database = usingPostgres ? await createTestDatabase(process.env.DATABASE_URL!) : undefined;
  return {
    env: {
      DATABASE_URL: database?.url,
      REDIS_URL: process.env.REDIS_URL,
      // Each environment its own Redis namespace: counters and sessions never leak between files.
      REDIS_KEY_PREFIX: `t${path.basename(dir).replace(/[^\w]/g, '')}:`,
      DATA_DIR: path.join(dir, 'data'),
      KEYS_DIR: path.join(dir, 'keys'),
      LOG_LEVEL: 'silent',
      KEY_REFRESH_INTERVAL: '1',
      ...overrides,
    },
    async cleanup() {
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunningTessera {
  url: string;
  config: Config;
  tessera: Tessera;
  core: Core;
  server: Server;
  stop(): Promise<void>;
}

/** Starts Tessera on an ephemeral port, as `npm start` would, in this process. */
export async function startTessera(
  environment: TestEnvironment,
  overrides: Record<string, string> = {},
  options: { logTo?: NodeJS.WritableStream } = {},
): Promise<RunningTessera> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = loadConfig({ ...environment.env, ISSUER: url, ...overrides });
  const logger = options.logTo ? createLogger('trace', options.logTo) : createLogger('silent');
  const tessera = await createTessera(config, { logger, serveEmbedded: true });
  server.on('request', tessera.app.callback());
  return {
    url,
    config,
    tessera,
    core: tessera.core,
    server,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tessera.close();
    },
  };
}

/** The services of another process (as the CLI sees them) on the same storage. */
export async function openSecondProcessCore(environment: TestEnvironment): Promise<Core> {
  return openCore(loadConfig(environment.env), { logger: createLogger('silent'), connectRedis: false });
}

/**
 * Registers beforeAll/afterAll that start Tessera on a fresh environment and stop it; the
 * returned handle is filled in once the suite starts, so a test reads `tessera.url`.
 */
export function useTessera(overrides: Record<string, string> = {}): RunningTessera & { environment: TestEnvironment } {
  const handle = {} as RunningTessera & { environment: TestEnvironment };
  beforeAll(async () => {
    const environment = await createEnvironment();
    Object.assign(handle, await startTessera(environment, overrides), { environment });
  });
  afterAll(async () => {
    await handle.stop?.();
    await handle.environment?.cleanup();
  });
  return handle;
}
