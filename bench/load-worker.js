// The load generator, in its own process (pinned to its own core by run.js) so its CPU never
// competes with the server it measures. Takes one JSON argument; prints {"event":"started"}
// as the clock starts (as flow-worker.js does), then one JSON line of results.
//   { url, method, headers, body, connections, seconds, requestsFile? }
// requestsFile: a JSON array of { method, headers, body } each connection sends in turn (too
// large for an argument when it names a thousand credentials).
import { readFileSync } from 'node:fs';

import autocannon from 'autocannon';

const spec = JSON.parse(process.argv[2]);

process.stdout.write(`${JSON.stringify({ event: 'started' })}\n`);
const result = await autocannon({
  url: spec.url,
  method: spec.method ?? 'GET',
  headers: spec.headers ?? {},
  body: spec.body,
  ...(spec.requestsFile ? { requests: JSON.parse(readFileSync(spec.requestsFile, 'utf8')) } : {}),
  connections: spec.connections ?? 16,
  pipelining: 1,
  duration: spec.seconds,
});

// Mean over the whole bounded window; autocannon's latency percentiles are in milliseconds.
process.stdout.write(
  `${JSON.stringify({
    rps: result.requests.total / (result.duration || spec.seconds),
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count])),
  })}\n`,
);
