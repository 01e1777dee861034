import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics, one registry per Tessera instance (tests run several in one process). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({ name: 'tessera_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] }),
    latency: new Histogram({
      name: 'tessera_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    tokensIssued: new Counter({ name: 'tessera_tokens_issued_total', help: 'Successful token responses by grant type', labelNames: ['grant_type'] as const, registers: [registry] }),
    rateLimited: new Counter({ name: 'tessera_rate_limit_rejections_total', help: 'Requests refused by a rate limit', labelNames: ['limit'] as const, registers: [registry] }),
    dependencyErrors: new Counter({ name: 'tessera_dependency_errors_total', help: 'Failures reaching Postgres or Redis', labelNames: ['dependency'] as const, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
