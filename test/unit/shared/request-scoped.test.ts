import { requestScoped } from '../../../src/shared/request-scoped.js';

describe('requestScoped', () => {
  test('each request gets its own value, made once, and nothing is visible on the request', () => {
    const memo = requestScoped<Map<string, number>>('test.memo');
    const first = {};
    const second = {};
    let made = 0;
    const create = () => {
      made += 1;
      return new Map<string, number>();
    };
    expect(memo.get(first)).toBeUndefined();
    const value = memo.getOrCreate(first, create);
    value.set('a', 1);
    expect(memo.getOrCreate(first, create)).toBe(value);
    expect(memo.get(first)?.get('a')).toBe(1);
    expect(memo.getOrCreate(second, create)).not.toBe(value);
    expect(made).toBe(2);
    // Kept under a symbol: no enumerable key a serialiser or a log line would pick up.
    expect(Object.keys(first)).toEqual([]);
    expect(JSON.stringify(first)).toBe('{}');
  });

  test('two scopes with the same description do not see each other', () => {
    const a = requestScoped<string>('same');
    const b = requestScoped<string>('same');
    const request = {};
    a.getOrCreate(request, () => 'from a');
    expect(b.get(request)).toBeUndefined();
  });
});
