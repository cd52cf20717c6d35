// Ledger consumers' metrics (projector, dispatcher, sealer, audit): lag, records handled, batch time.
import { Counter, Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, metricsRegistry } from '../adapters/metrics.js';

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
