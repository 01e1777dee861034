import { AsyncLocalStorage } from 'node:async_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { sql } from 'kysely';

import { openStorage, type Storage } from '../../src/storage/db.js';
import { createEnvironment, usingPostgres, type TestEnvironment } from '../support/tessera.js';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let environment: TestEnvironment;

beforeAll(async () => {
  environment = await createEnvironment();
});

afterAll(async () => {
  await environment.cleanup();
});

/** What oidc-provider does per request: the request's state in an AsyncLocalStorage. */
async function queryDuringRequest(storage: Storage, requests: AsyncLocalStorage<object>) {
  const state = { body: { client_secret: 'held by the request only' } };
  const seenAfterQuery = await requests.run(state, async () => {
    await sql`select 1`.execute(storage.db);
    return requests.getStore();
  });
  return { request: new WeakRef(state), sameContextAfterQuery: seenAfterQuery === state };
}

// The embedded database has no pool and no sockets.
(usingPostgres ? describe : describe.skip)('pool connections opened during a request', () => {
  test('do not keep the request alive after it ends, and the request still reads its own context after a query', async () => {
    const storage = await openStorage({ DATABASE_URL: environment.env.DATABASE_URL, dataDir: environment.env.DATA_DIR! }, { poolSize: 2 });
    const requests = new AsyncLocalStorage<object>();
    try {
      // The pool is empty: this request opens the connection, then releases it (idle timer).
      const { request, sameContextAfterQuery } = await queryDuringRequest(storage, requests);
      expect(sameContextAfterQuery).toBe(true);

      await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      expect(request.deref()).toBeUndefined();
      // The connection is still pooled and usable.
      expect((await sql<{ one: number }>`select 1 as one`.execute(storage.db)).rows).toEqual([{ one: 1 }]);
    } finally {
      await storage.close();
    }
  });
});
