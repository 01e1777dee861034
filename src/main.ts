// First: may restart the process with its allocator configured (see the module).
import './runtime/malloc-arenas.js';

import { createServer } from 'node:http';

import { createTessera } from './app.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './observability/logger.js';

/** Process entry: load config → build the app → listen → shut down gracefully on SIGTERM/SIGINT. */
async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`tessera: invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const started = Date.now();
  const tessera = await createTessera(config, { logger, serveEmbedded: true });
  const server = createServer({ maxHeaderSize: 16 * 1024 }, tessera.app.callback());
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(config.PORT, config.HOST, resolve));
  logger.info(
    { port: config.PORT, issuer: config.ISSUER, storage: tessera.core.storage.kind, redis: Boolean(config.REDIS_URL), startupMs: Date.now() - started },
    `Tessera listening on ${config.ISSUER}`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // Stop accepting, let requests in flight finish, then close pools; give up after 10 s.
    const deadline = setTimeout(() => {
      logger.error('shutdown timed out');
      process.exit(1);
    }, 10_000);
    deadline.unref();
    server.close(() => {
      void tessera.close().then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`tessera: failed to start: ${message}\n`);
  process.exit(1);
});
