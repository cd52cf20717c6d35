// Prometheus metrics: one registry per process, served at /metrics by createApp. Here only what every
// service has (default Node metrics, HTTP request rate and latency); each family that belongs to one
// part (ledger consumers, the ledger writer, workflows, decisions…) is declared in that part's module
// with metricsRegistry, so a service exposes only the families of the code it runs.
// Labels carry route templates, topics, partitions and names only — never a URL, subject or event id.
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Request, RequestHandler } from 'express';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

export const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const httpMetrics = {
  requests: new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [metricsRegistry],
  }),
  duration: new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers: [metricsRegistry],
  }),
};

/** The route template a request matched (`/v1/subjects/:id/consent`), never its raw URL. */
export function routeOf(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  // Express route strings escape a literal ':' (`/v1/events\\:batch`); the label is the path as documented.
  return typeof path === 'string' ? `${req.baseUrl}${path}`.replaceAll('\\', '') : 'unmatched';
}

/** Counts and times every request once it finished (labels from the matched route template). */
export const httpMetricsMiddleware: RequestHandler = (req, res, next) => {
  const end = httpMetrics.duration.startTimer();
  res.once('finish', () => {
    const labels = { method: req.method, route: routeOf(req), status: String(res.statusCode) };
    end(labels);
    httpMetrics.requests.inc(labels);
  });
  next();
};

/** GET /metrics: the shared registry plus any service-specific ones, in Prometheus text format. */
export function metricsHandler(extra: Registry[] = []): RequestHandler {
  const registry = extra.length === 0 ? metricsRegistry : Registry.merge([metricsRegistry, ...extra]);
  return async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  };
}
