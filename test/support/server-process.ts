import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

import type { TestEnvironment } from './tessera.js';

export const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

export interface ServerProcess {
  port: number;
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL if still running (cleanup after a failed test). */
  kill(): void;
}

/** The built server (`node dist/src/main.js`) as its own process, as `npm start` runs it. */
export async function startServerProcess(environment: TestEnvironment, overrides: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...environment.env, PORT: String(port), LOG_LEVEL: 'info', ...overrides };
  const child = spawn(process.execPath, ['dist/src/main.js'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 45_000;
  while (!output.includes('Tessera listening')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`did not start: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    port,
    child,
    output: () => output,
    kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
