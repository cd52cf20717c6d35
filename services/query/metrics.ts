// The query service's own metrics: decisions answered by outcome, and answers refused with 503 because
// the projection could not be shown current (the freshness guarantee at work).
import { Counter } from 'prom-client';
import { metricsRegistry } from '../../adapters/metrics.js';

export const queryMetrics = {
  decisions: new Counter({
    name: 'decisions_total',
    help: 'Decisions answered (POST /v1/decisions), by decision (permit or deny)',
    labelNames: ['decision'],
    registers: [metricsRegistry],
  }),
  cacheReads: new Counter({
    name: 'query_cache_reads_total',
    help:
      'Reads of projected values by how they were answered: same-mark (cached at the same ledger mark), ' +
      'unchanged (cached; no ledger record for the key since), miss (read from the store)',
    labelNames: ['cache', 'outcome'],
    registers: [metricsRegistry],
  }),
  freshnessUnavailable: new Counter({
    name: 'query_freshness_unavailable_total',
    help: 'Answers refused with 503 because the projection could not be shown to have caught up with the ledger',
    labelNames: ['cause'],
    registers: [metricsRegistry],
  }),
};
