/**
 * glibc gives every thread that allocates at the same time as another its own malloc arena (up
 * to 8 per core), and memory freed into an arena stays resident. Tessera's allocating threads
 * are libuv's pool (RS256 signatures, argon2id's 9 MiB per login) and V8's helpers; with two
 * arenas the server's peak RSS over the benchmark was ≈ 10 MB lower at the same CPU per request.
 * glibc reads MALLOC_ARENA_MAX when the process starts, so `npm start` replaces the process
 * once (same pid, same arguments) with it set. Imported first by main.ts, before anything opens.
 */
if (process.platform === 'linux' && process.env.MALLOC_ARENA_MAX === undefined && typeof process.execve === 'function') {
  process.execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], { ...process.env, MALLOC_ARENA_MAX: '2' });
}

export {};
