// The bench's baseline workflow: the shape of a consent's cooling-off with nothing of ours in it — one
// timer to the instant the cooling-off ends, then one activity that appends one record to Kafka.
// Deterministic: Date.now() inside a workflow is the workflow clock.
import { proxyActivities, sleep } from '@temporalio/workflow';
import type { BareActivities, BareRecord } from './activities.js';

// The same timeout and retry as the cooling-off's ledger write (workflows/coolingOff.ts).
const { appendBareRecord } = proxyActivities<BareActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function bareCoolingOff(input: BareRecord): Promise<void> {
  const ms = input.endsAtMs - Date.now();
  if (ms > 0) await sleep(ms);
  await appendBareRecord(input);
}
