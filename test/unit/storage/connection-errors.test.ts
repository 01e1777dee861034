import { runInNewContext } from 'node:vm';

import { isConnectionError } from '../../../src/storage/db.js';

// What pg and pg-pool throw when Postgres is gone: each must become a 503, never a 500.
test.each([
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
  new Error('Connection terminated unexpectedly'),
  new Error('Client has encountered a connection error and is not queryable'),
  new Error('Client was closed and is not queryable'),
  new Error('timeout exceeded when trying to connect'),
  new Error('Cannot use a pool after calling end on the pool'),
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
  Object.assign(new Error('sorry, too many clients already'), { code: '53300' }),
  // A query written to a socket the proxy or the network just closed, before pg saw the close.
  Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' }),
  Object.assign(new Error('write after end'), { code: 'ERR_STREAM_WRITE_AFTER_END' }),
  Object.assign(new Error('connect EHOSTUNREACH 10.0.0.9:5432'), { code: 'EHOSTUNREACH' }),
  // Made in another realm, as Node's socket errors are when seen from jest's vm context.
  runInNewContext(`Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })`) as Error,
])('%s is an outage', (error) => {
  expect(isConnectionError(error)).toBe(true);
});

test.each([
  Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' }),
  Object.assign(new Error('invalid input syntax for type uuid'), { code: '22P02' }),
  new Error('something else'),
  'not an error',
])('%s is not an outage', (error) => {
  expect(isConnectionError(error)).toBe(false);
});
