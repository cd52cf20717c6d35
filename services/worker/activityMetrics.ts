// Counts every activity execution on this worker by type and outcome (completed / failed — a failure
// here is one attempt; Temporal retries it), into the shared Prometheus registry.
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { workflowMetrics } from '../../adapters/metrics.js';

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
