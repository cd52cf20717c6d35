// The dispatcher's metrics: workflows it started, and open/overdue executions from Temporal's visibility.
import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '../../adapters/metrics.js';

export const workflowMetrics = {
  started: new Counter({
    name: 'workflows_started_total',
    help: 'Workflows the dispatcher started (already-started re-deliveries not counted)',
    labelNames: ['workflow'],
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
