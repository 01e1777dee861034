import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';

import type { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { CompiledQuery, Kysely, PostgresDialect, sql, type QueryResult } from 'kysely';
import pg from 'pg';

import type { Config } from '../config/load.js';
import { DependencyUnavailableError } from '../shared/errors.js';
import { detachPoolFromRequests } from './detached-pool.js';
import { PGliteDialect } from './pglite-dialect.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface Storage {
  readonly db: Db;
  readonly kind: 'postgres' | 'pglite' | 'pglite-socket';
  /** Calls `handler` for every NOTIFY on `channel`, from this or any other process. */
  listen(channel: string, handler: (payload: string) => void): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Timeouts that turn a dead database into a fast error instead of a hang. */
const POOL_DEFAULTS = {
  connectionTimeoutMillis: 2_000,
  idleTimeoutMillis: 30_000,
  statement_timeout: 5_000,
  query_timeout: 6_000,
  keepAlive: true,
} satisfies pg.PoolConfig;

/** The socket name pg derives from a directory host and the default port. */
const socketFile = (dataDir: string) => path.join(dataDir, '.s.PGSQL.5432');

export async function openStorage(
  config: Pick<Config, 'DATABASE_URL' | 'dataDir'> & Partial<Pick<Config, 'DATABASE_PREPARED_STATEMENTS'>>,
  options: { serveEmbedded?: boolean; poolSize?: number } = {},
): Promise<Storage> {
  if (config.DATABASE_URL) {
    const storage = openPostgres({ ...POOL_DEFAULTS, connectionString: config.DATABASE_URL, max: options.poolSize ?? 10 }, 'postgres');
    if (config.DATABASE_PREPARED_STATEMENTS !== false) preparedRunners.set(storage.db, runPrepared(storage.pool));
    return storage;
  }
  // A running server owns the embedded database; other processes (the CLI) reach it over
  // its local socket, because PGlite cannot be opened by two processes at once.
  if (await socketAnswers(socketFile(config.dataDir))) {
    return openPostgres({ ...POOL_DEFAULTS, host: config.dataDir, database: 'template1', user: 'postgres', max: 1 }, 'pglite-socket');
  }
  return openEmbedded(config.dataDir, options.serveEmbedded ?? false);
}

function openPostgres(poolConfig: pg.PoolConfig, kind: 'postgres' | 'pglite-socket'): Storage & { pool: pg.Pool } {
  const pool = new pg.Pool(poolConfig);
  detachPoolFromRequests(pool);
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // A checked-out client has no 'error' listener in pg-pool, so a connection dropped mid-query
  // would be an unhandled 'error' event and crash the process; the query itself still rejects.
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listeners: pg.Client[] = [];
  let closed = false;

  async function listenWithReconnect(channel: string, handler: (payload: string) => void) {
    const client = new pg.Client({ ...poolConfig, keepAlive: true });
    listeners.push(client);
    let retried = false;
    const retry = () => {
      if (retried) return;
      retried = true;
      client.removeAllListeners();
      // A late error from the dead connection must not become an unhandled 'error' event.
      client.on('error', () => {});
      void client.end().catch(() => {});
      const index = listeners.indexOf(client);
      if (index >= 0) listeners.splice(index, 1);
      if (!closed) setTimeout(() => void (closed ? undefined : listenWithReconnect(channel, handler).catch(() => {})), 1_000).unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', (message) => {
      if (message.channel === channel) handler(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      retry();
      throw error;
    }
  }

  return {
    db,
    pool,
    kind,
    listen: listenWithReconnect,
    async ping() {
      await guard(() => sql`select 1`.execute(db));
    },
    async close() {
      closed = true;
      await Promise.allSettled(listeners.map((client) => client.end()));
      await db.destroy();
    },
  };
}

async function openEmbedded(dataDir: string, serve: boolean): Promise<Storage> {
  mkdirSync(dataDir, { recursive: true });
  // Loaded only here: a server on Postgres never pays PGlite's memory.
  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite-socket')]);
  const pglite = await PGlite.create({ dataDir });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  let server: PGLiteSocketServer | undefined;
  if (serve) {
    const file = socketFile(dataDir);
    if (existsSync(file)) rmSync(file); // stale: socketAnswers() found nobody behind it
    server = new PGLiteSocketServer({ db: pglite, path: file, maxConnections: 4 });
    await server.start();
  }
  return {
    db,
    kind: 'pglite',
    async listen(channel, handler) {
      await pglite.listen(channel, handler);
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await server?.stop();
      await db.destroy();
      await pglite.close();
    },
  };
}

function socketAnswers(file: string): Promise<boolean> {
  if (!existsSync(file)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const socket = connect(file);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Maps connection-level failures to a 503-shaped error; SQL errors pass through untouched. */
export async function guard<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isConnectionError(error)) throw new DependencyUnavailableError('postgres', { cause: error });
    throw error;
  }
}

/**
 * Socket errors (a write racing the socket's close gives Node's ERR_STREAM_* codes, not pg's
 * words), and Postgres refusing or ending sessions: shutdown (57P01-57P03), too many
 * connections (53300), connection failures (08xxx).
 */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ERR_SOCKET_CLOSED',
  '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08001', '08004',
]);

/**
 * Read by shape, not `instanceof Error`: an error made in another realm (Node's own socket
 * errors as seen from a vm context, which is where jest runs the tests) is not an instance of
 * this realm's Error, and was answered 500 instead of 503.
 */
export function isConnectionError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  // pg's own words for a connection that died or was closed under a query (no error code).
  return typeof message === 'string' && /timeout|Connection terminated|connect ECONNREFUSED|is not queryable|Cannot use a pool after calling end/i.test(message);
}

export const notify = (db: Db, channel: string, payload: string) =>
  sql`select pg_notify(${channel}, ${payload})`.execute(db);

/** A statement written as SQL text, run often enough to be worth preparing (see runStatement). */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/** `name` identifies the statement on each connection, so one name must always mean one text. */
export const statement = (name: string, text: string): Statement => ({ name: `tessera_${name}`, text });

type PreparedRunner = (statement: Statement, values: unknown[]) => Promise<QueryResult<never>>;
/** Databases whose statements may be prepared: Postgres pools, not transactions or PGlite. */
const preparedRunners = new WeakMap<Db, PreparedRunner>();

/** Named statements through pg: parsed and planned once per connection, then only executed. */
const runPrepared = (pool: pg.Pool): PreparedRunner => async (prepared, values) => {
  const result = await pool.query({ name: prepared.name, text: prepared.text, values });
  const changed = result.command === 'INSERT' || result.command === 'UPDATE' || result.command === 'DELETE' || result.command === 'MERGE';
  return { rows: result.rows as never[], numAffectedRows: changed ? BigInt(result.rowCount ?? 0) : undefined };
};

/**
 * Runs a statement written as SQL text. For the few statements every refresh runs, kysely's
 * builder cost more main-thread time than the round trip itself (profiled: ≈ 1 ms of a 5 ms
 * refresh went to building and compiling queries); these skip it and only bind parameters.
 * On Postgres they are also prepared: planning the refresh token's read with its grant and
 * person cost the database 0.42 ms of CPU per execution, against 0.08 ms once prepared.
 */
export const runStatement = <Row>(db: Db, prepared: Statement, parameters: readonly unknown[]): Promise<QueryResult<Row>> => {
  const runner = preparedRunners.get(db);
  if (runner) return runner(prepared, [...parameters]) as Promise<QueryResult<Row>>;
  return db.executeQuery<Row>(CompiledQuery.raw(prepared.text, [...parameters]));
};
