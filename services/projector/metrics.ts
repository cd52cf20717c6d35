// Prometheus metrics of the projector (its own registry, merged into the shared /metrics by createApp)
// and a summary for the log.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchReport } from './consumer.js';

export function projectorMetrics() {
  const registry = new Registry();
  const events = new Counter({
    name: 'projector_events_applied_total',
    help: 'Ledger records folded into the projection',
    labelNames: ['partition'],
    registers: [registry],
  });
  const lag = new Gauge({
    name: 'projector_lag_records',
    help: 'Ledger records not yet projected, per partition (at the last batch)',
    labelNames: ['partition'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'projector_batch_seconds',
    help: 'Time to project one partition batch',
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const lags = new Map<number, bigint>();
  let total = 0;
  return {
    observe(r: BatchReport) {
      events.inc({ partition: String(r.partition) }, r.events);
      lag.set({ partition: String(r.partition) }, Number(r.lag));
      seconds.observe(r.ms / 1000);
      lags.set(r.partition, r.lag);
      total += r.events;
    },
    summary: () => ({ eventsApplied: total, lag: Number([...lags.values()].reduce((a, b) => a + b, 0n)) }),
    registry,
  };
}
