import { createRecordCache } from '../../../src/shared/record-cache.js';

/** A table of records the cache reads, counting the statements it is sent. */
function givenTable(rows: Record<string, string>) {
  const table = new Map(Object.entries(rows));
  const statements: string[][] = [];
  let down = false;
  const failed = { reads: 0 };
  return {
    table,
    statements,
    failed,
    goDown: () => void (down = true),
    comeBack: () => void (down = false),
    load: async (id: string) => {
      if (down) throw new Error('connect ECONNREFUSED');
      statements.push([id]);
      return table.get(id);
    },
    loadMany: async (ids: string[]) => {
      if (down) {
        failed.reads += 1;
        throw new Error('connect ECONNREFUSED');
      }
      statements.push(ids);
      return new Map(ids.filter((id) => table.has(id)).map((id) => [id, table.get(id)!]));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const REFRESH_MS = 200;
/** Long enough for the batch window (10 ms) and the re-read on a busy CI machine. */
const SETTLE_MS = 100;

const opened: Array<{ close(): void }> = [];
afterEach(() => opened.splice(0).forEach((cache) => cache.close()));

function givenCache(table: ReturnType<typeof givenTable>) {
  const cache = createRecordCache<string>({ load: table.load, loadMany: table.loadMany, refreshMs: REFRESH_MS, limit: 100, batchWindowMs: 10 });
  opened.push(cache);
  return cache;
}

describe('the credential record cache', () => {
  test('reads a record once while it is fresh', async () => {
    const table = givenTable({ a: 'a1' });
    const cache = givenCache(table);
    expect(await cache.get('a')).toBe('a1');
    expect(await cache.get('a')).toBe('a1');
    expect(table.statements).toEqual([['a']]);
  });

  test('an old entry keeps answering while every old entry is re-read in one statement', async () => {
    const table = givenTable({ a: 'a1', b: 'b1', c: 'c1' });
    const cache = givenCache(table);
    for (const id of ['a', 'b', 'c']) await cache.get(id);
    table.table.set('a', 'a2');
    table.table.delete('c');
    await sleep(REFRESH_MS + 20);

    // Found old: answered from the cache, not after a read.
    expect(await Promise.all(['a', 'b', 'c'].map((id) => cache.get(id)))).toEqual(['a1', 'b1', 'c1']);
    await sleep(SETTLE_MS);

    expect(table.statements.slice(3)).toEqual([['a', 'b', 'c']]);
    expect(await Promise.all(['a', 'b', 'c'].map((id) => cache.get(id)))).toEqual(['a2', 'b1', undefined]);
  });

  test('an entry dropped by a change notification during the re-read is not overwritten by it', async () => {
    const table = givenTable({ a: 'a1' });
    let release: () => void = () => {};
    const cache = createRecordCache<string>({
      load: table.load,
      loadMany: async (ids) => {
        const read = await table.loadMany(ids); // read before the change below
        await new Promise<void>((resolve) => (release = resolve));
        return read;
      },
      refreshMs: REFRESH_MS,
      limit: 100,
      batchWindowMs: 1,
    });
    await cache.get('a');
    await sleep(REFRESH_MS + 20);
    await cache.get('a'); // schedules the re-read
    await sleep(SETTLE_MS);
    table.table.set('a', 'a2');
    cache.drop('a');
    expect(await cache.get('a')).toBe('a2');
    release();
    await sleep(SETTLE_MS);
    expect(await cache.get('a')).toBe('a2');
    cache.close();
  });

  test('while the database is down, cached records keep answering and a first read fails', async () => {
    const table = givenTable({ a: 'a1', b: 'b1' });
    const cache = givenCache(table);
    await cache.get('a');
    table.goDown();
    await sleep(REFRESH_MS + 20);
    expect(await cache.get('a')).toBe('a1');
    // Requests keep coming: one failed re-read per refresh interval, not one per request.
    for (let i = 0; i < 10; i += 1) {
      await sleep(3);
      expect(await cache.get('a')).toBe('a1');
    }
    expect(table.failed.reads).toBe(1);
    await expect(cache.get('b')).rejects.toThrow('ECONNREFUSED');

    table.comeBack();
    table.table.set('a', 'a2');
    expect(await cache.get('b')).toBe('b1'); // the failed first read was not cached
    await sleep(REFRESH_MS + 20);
    await cache.get('a');
    await sleep(SETTLE_MS);
    expect(await cache.get('a')).toBe('a2');
  });

  test('without loadMany, old entries are re-read one by one, still in the background', async () => {
    const table = givenTable({ a: 'a1', b: 'b1' });
    const cache = createRecordCache<string>({ load: table.load, refreshMs: REFRESH_MS, limit: 100, batchWindowMs: 10 });
    opened.push(cache);
    await cache.get('a');
    await cache.get('b');
    table.table.set('a', 'a2');
    table.table.delete('b');
    await sleep(REFRESH_MS + 20);

    expect([await cache.get('a'), await cache.get('b')]).toEqual(['a1', 'b1']);
    await sleep(SETTLE_MS);

    expect([await cache.get('a'), await cache.get('b')]).toEqual(['a2', undefined]);
    expect(table.statements).toEqual([['a'], ['b'], ['a'], ['b']]);
  });

  test('clear drops every entry (a change that touches many records)', async () => {
    const table = givenTable({ a: 'a1', b: 'b1' });
    const cache = givenCache(table);
    await cache.get('a');
    await cache.get('b');
    table.table.set('a', 'a2');
    table.table.set('b', 'b2');
    cache.clear();
    expect([await cache.get('a'), await cache.get('b')]).toEqual(['a2', 'b2']);
  });

  test('re-reads at most `batchLimit` records per statement', async () => {
    const table = givenTable({ a: 'a1', b: 'b1', c: 'c1', d: 'd1', e: 'e1' });
    const cache = createRecordCache<string>({ load: table.load, loadMany: table.loadMany, refreshMs: REFRESH_MS, limit: 100, batchWindowMs: 10, batchLimit: 2 });
    opened.push(cache);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) await cache.get(id);
    await sleep(REFRESH_MS + 20);
    for (const id of ids) await cache.get(id);
    await sleep(SETTLE_MS);
    expect(table.statements.slice(ids.length)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  test('sends no statement when every entry found old was dropped before its re-read', async () => {
    const table = givenTable({ a: 'a1' });
    const cache = givenCache(table);
    await cache.get('a');
    await sleep(REFRESH_MS + 20);
    await cache.get('a'); // found old: due for the next batch
    cache.drop('a'); // a change notification within the batch window
    await sleep(SETTLE_MS);
    expect(table.statements).toEqual([['a']]);
  });

  test('keeps at most `limit` entries', async () => {
    const table = givenTable(Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`k${i}`, `v${i}`])));
    const cache = givenCache(table);
    for (let i = 0; i < 150; i += 1) await cache.get(`k${i}`);
    const before = table.statements.length;
    await cache.get('k0'); // the oldest went when the 101st came
    await cache.get('k149');
    expect(table.statements.slice(before)).toEqual([['k0']]);
  });
});
