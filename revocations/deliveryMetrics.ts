// Webhook deliveries of revocation notices, by outcome: delivered, unreachable (refused, timed out) or
// answered-error (a non-2xx answer). A failure is one attempt: Temporal's retry policy brings the next.
import { Counter } from 'prom-client';
import { metricsRegistry } from '../adapters/metrics.js';

export const deliveryMetrics = {
  webhookDeliveries: new Counter({
    name: 'webhook_deliveries_total',
    help: "Revocation notices POSTed to data users' webhooks, by outcome (delivered, unreachable, answered-error)",
    labelNames: ['outcome'],
    registers: [metricsRegistry],
  }),
};
