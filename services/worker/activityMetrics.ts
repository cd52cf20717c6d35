// Counts every activity execution on this worker by type and outcome (completed / failed — a failure
// here is one attempt; Temporal retries it), into the process's Prometheus registry.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { Counter } from 'prom-client';
import { metricsRegistry } from '../../adapters/metrics.js';

export const workflowMetrics = {
  activities: new Counter({
    name: 'workflow_activities_total',
    help: 'Activity executions finished on this worker, by activity type and outcome',
    labelNames: ['activity', 'outcome'],
    registers: [metricsRegistry],
  }),
};

export const activityMetricsInterceptor: ActivityInterceptorsFactory = (ctx) => ({
  inbound: {
    async execute(input, next) {
      const activity = ctx.info.activityType;
      try {
        const result = await next(input);
        workflowMetrics.activities.inc({ activity, outcome: 'completed' });
        return result;
      } catch (err) {
        workflowMetrics.activities.inc({ activity, outcome: 'failed' });
        throw err;
      }
    },
  },
});
