import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createServer } from 'node:net';

import { createEnvironment } from '../support/tessera.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

test('SIGTERM: stops accepting, finishes what is in flight, closes pools and exits 0 promptly', async () => {
  const port = await freePort();
  const environment = await createEnvironment();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...environment.env, PORT: String(port), LOG_LEVEL: 'info' };
  const child = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    const deadline = Date.now() + 45_000;
    while (!output.includes('Tessera listening')) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
    expect(output).toContain('shutting down');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await environment.cleanup();
  }
});
