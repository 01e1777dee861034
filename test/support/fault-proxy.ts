import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of a real Postgres or Redis that a test can cut and restore: while cut,
 * open connections are dropped and new ones refused, exactly what a crashed or unreachable
 * server looks like to Tessera, without stopping the shared service other tests use.
 */
export async function createFaultProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let cut = false;
  let server: Server;
  let port = 0;

  const start = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        if (cut) return client.destroy();
        const upstream = connect(target.port, target.host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {});
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  await start();

  return {
    get port() {
      return port;
    },
    /** Drops every connection and stops listening (connections are refused). */
    async cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    async restore() {
      cut = false;
      await start();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Rewrites a connection URL to go through the proxy. */
export function throughProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  return parsed.toString();
}
