import { request } from 'node:http';

import { startServerProcess } from '../support/server-process.js';
import { createEnvironment } from '../support/tessera.js';

test('SIGTERM: stops accepting, finishes what is in flight, closes pools and exits 0 promptly', async () => {
  const environment = await createEnvironment();
  const server = await startServerProcess(environment);
  const { port, child } = server;
  try {
    // A request whose body is still arriving when SIGTERM lands must still get its answer.
    const inFlight = new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/oauth/token', headers: { 'content-type': 'application/json', 'content-length': '40' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"grant_type":"client_credentials",');
      setTimeout(() => {
        child.kill('SIGTERM');
        setTimeout(() => req.end('"x":1}'), 300);
      }, 300);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const started = Date.now();
    const status = await inFlight;
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(server.output()).toContain('shutting down');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  } finally {
    server.kill();
    await environment.cleanup();
  }
});
