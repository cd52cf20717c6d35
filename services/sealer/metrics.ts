// The sealer's own metrics: the last ledger offset sealed by a committed checkpoint, per partition.
import { Gauge } from 'prom-client';
import { metricsRegistry } from '../../adapters/metrics.js';

export const sealerMetrics = {
  lastSealedOffset: new Gauge({
    name: 'sealer_last_sealed_offset',
    help: 'The last ledger offset covered by a checkpoint this sealer published, by partition',
    labelNames: ['partition'],
    registers: [metricsRegistry],
  }),
};
