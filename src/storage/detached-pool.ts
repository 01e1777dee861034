import type pg from 'pg';

import { outsideAnyRequest } from '../shared/outside-requests.js';

type ConnectCallback = (error: Error | undefined, client: pg.PoolClient | undefined, done: (release?: Error | boolean) => void) => void;

/**
 * A pool connection and its idle timer outlive the request that happened to open or release
 * them. Node's AsyncLocalStorage ties every socket and timer to the context it was created in,
 * and oidc-provider keeps each request's whole Koa context in one: a connection opened during a
 * token or sign-in request kept that request (its parsed body included) alive for as long as
 * the connection lived, one per pooled connection. The pool is entered from outside any request
 * instead (src/shared/outside-requests.ts).
 */
export function detachPoolFromRequests(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (callback: ConnectCallback) => void;
  const detachRelease = (client: pg.PoolClient) => {
    const release = client.release;
    client.release = (error?: Error | boolean) => outsideAnyRequest(() => release.call(client, error));
  };
  const connectDetached = (callback: ConnectCallback) =>
    outsideAnyRequest(() =>
      connect((error, client, done) => {
        if (!client) return callback(error, client, done);
        detachRelease(client);
        callback(error, client, client.release);
      }),
    );
  pool.connect = ((callback?: ConnectCallback) => {
    if (callback) return connectDetached(callback);
    return new Promise<pg.PoolClient>((resolve, reject) => connectDetached((error, client) => (error || !client ? reject(error) : resolve(client))));
  }) as typeof pool.connect;
}
