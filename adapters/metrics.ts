// Prometheus metrics shared by every service: one registry per process (default Node metrics, HTTP
// request rate and latency, ledger consumer lag and apply rate, workflow starts and activity outcomes),
// served at /metrics by createApp. A service's own registry (e.g. the projector's) is merged in.
// Labels carry route templates, topics, partitions and names only — never a URL, subject or event id.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Request, RequestHandler } from 'express';

const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry });

const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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

export const ledgerConsumerMetrics = {
  lag: new Gauge({
    name: 'ledger_consumer_lag_records',
    help: 'Records on the partition not yet committed by the group (at its last batch)',
    labelNames: ['group', 'topic', 'partition'],
    registers: [metricsRegistry],
  }),
  records: new Counter({
    name: 'ledger_consumer_records_total',
    help: 'Ledger records handled by the group (outcome valid = applied by the handler, poison = dead-lettered)',
    labelNames: ['group', 'topic', 'outcome'],
    registers: [metricsRegistry],
  }),
  batchSeconds: new Histogram({
    name: 'ledger_consumer_batch_seconds',
    help: 'Time the handler took for one partition batch',
    labelNames: ['group', 'topic'],
    buckets: LATENCY_BUCKETS,
    registers: [metricsRegistry],
  }),
};

export const workflowMetrics = {
  started: new Counter({
    name: 'workflows_started_total',
    help: 'Workflows the dispatcher started (already-started re-deliveries not counted)',
    labelNames: ['workflow'],
    registers: [metricsRegistry],
  }),
  activities: new Counter({
    name: 'workflow_activities_total',
    help: 'Activity executions finished on this worker, by activity type and outcome',
    labelNames: ['activity', 'outcome'],
    registers: [metricsRegistry],
  }),
  running: new Gauge({
    name: 'workflows_running',
    help: 'Open workflow executions on the task queue (Temporal visibility)',
    labelNames: ['workflow'],
    registers: [metricsRegistry],
  }),
  overdue: new Gauge({
    name: 'workflows_overdue',
    help: 'Open workflow executions started longer ago than the overdue threshold (Temporal visibility)',
    labelNames: ['workflow'],
    registers: [metricsRegistry],
  }),
};

export const receiptMetrics = {
  unrecorded: new Gauge({
    name: 'ledger_receipts_unrecorded',
    help: 'Ledger writes whose receipt is kept in memory because MongoDB was unreachable',
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
