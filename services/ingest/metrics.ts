// Ingest's own metrics: events newly recorded, and idempotent replays (an id already on the ledger),
// by event type. Never a subject or event id as a label.
import { Counter } from 'prom-client';
import { metricsRegistry } from '../../adapters/metrics.js';

export const ingestMetrics = {
  accepted: new Counter({
    name: 'ingest_events_accepted_total',
    help: 'Events newly recorded on the ledger (answered 202), by event type',
    labelNames: ['type'],
    registers: [metricsRegistry],
  }),
  replays: new Counter({
    name: 'ingest_idempotent_replays_total',
    help: 'Events sent again with an id already recorded: answered with the first receipt, nothing written',
    labelNames: ['type'],
    registers: [metricsRegistry],
  }),
};
