import { readFileSync } from 'node:fs';

import { startServerProcess } from '../support/server-process.js';
import { createEnvironment } from '../support/tessera.js';

const environOf = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

// glibc's MALLOC_ARENA_MAX (src/runtime/malloc-arenas.ts) exists on Linux only.
const onLinux = process.platform === 'linux' ? test : test.skip;

describe('the server process, as npm start runs it', () => {
  onLinux.each([
    ['limits malloc arenas to two, in the process it was started as', {}, 'MALLOC_ARENA_MAX=2'],
    ["keeps an operator's own MALLOC_ARENA_MAX", { MALLOC_ARENA_MAX: '4' }, 'MALLOC_ARENA_MAX=4'],
  ])('%s', async (_name, overrides: Record<string, string>, expected) => {
    const environment = await createEnvironment();
    const server = await startServerProcess(environment, overrides);
    try {
      expect(environOf(server.child.pid!)).toContain(expected);
      expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    } finally {
      server.kill();
      await environment.cleanup();
    }
  });
});
