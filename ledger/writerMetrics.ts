// The ledger writer's metrics (ingest and the worker's activities): how long the broker takes to
// acknowledge a batch with acks=all, and the receipts kept in memory during a MongoDB outage.
import { Gauge, Histogram } from 'prom-client';
import { LATENCY_BUCKETS, metricsRegistry } from '../adapters/metrics.js';

export const writerMetrics = {
  ackSeconds: new Histogram({
    name: 'ledger_append_ack_seconds',
    help: 'Time from sending a batch to the ledger topic to the brokers acknowledging it (acks=all)',
    labelNames: ['topic'],
    buckets: LATENCY_BUCKETS,
    registers: [metricsRegistry],
  }),
  unrecorded: new Gauge({
    name: 'ledger_receipts_unrecorded',
    help: 'Ledger writes whose receipt is kept in memory because MongoDB was unreachable',
    registers: [metricsRegistry],
  }),
};
