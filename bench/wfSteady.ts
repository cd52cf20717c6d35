// The workflow bench's optional steady phase (WF_BENCH_STEADY_S > 0): each second a few consents, and
// every WF_BENCH_STEADY_WITHDRAWAL_EVERY_S seconds one withdrawal of a subject released to the 10
// holders, for the given time, sampling the worker's resident memory every 10 s — does it stay flat,
// or grow with the workflows it has run?
import type { Client } from '@temporalio/client';
import { workflowIds } from '../workflows/types.js';
import type { WorkflowStack } from '../test/e2e/workflowKit.js';
import { appendRetrying, consentGiven, iso, procMb, sleep } from './wfCommon.js';
import { deliveryDelays, sendWithdrawals, withdrawalSubjects, type Holders } from './wfWithdrawals.js';

export const STEADY_CONSENTS_PER_S = Number(process.env.WF_BENCH_STEADY_CONSENTS_PER_S ?? 4);
/** One withdrawal every this many seconds (each is 10 webhook deliveries and their notices). */
export const STEADY_WITHDRAWAL_EVERY_S = Number(process.env.WF_BENCH_STEADY_WITHDRAWAL_EVERY_S ?? 1);
const SAMPLE_EVERY_S = 10;

export interface SteadyResult {
  rssMb: number[];
  consents: number;
  withdrawals: number;
  /** Receipt → all 10 webhooks, for the steady withdrawals fully delivered. */
  withdrawalDelays: number[];
}

export async function runSteady(
  stack: WorkflowStack,
  holders: Holders,
  client: Client,
  run: string,
  seconds: number,
): Promise<SteadyResult> {
  const pid = stack.worker.proc.pid!;
  const rssMb = [procMb(pid, 'VmRSS')];
  const consentIds: string[] = [];
  const subjects = withdrawalSubjects(run, 's', Math.ceil(seconds / STEADY_WITHDRAWAL_EVERY_S));
  const receipts = new Map<string, number>();
  const start = Date.now();
  for (let tick = 0; tick < seconds; tick++) {
    const ids = Array.from({ length: STEADY_CONSENTS_PER_S }, (_, i) => `bench-${run}-s${tick}-${i}`);
    await appendRetrying(
      stack.append,
      ids.map((id, i) => consentGiven(id, `sub_benchs${run}${String(tick * 10 + i).padStart(8, '0')}`, iso())),
    );
    consentIds.push(...ids);
    if (tick % STEADY_WITHDRAWAL_EVERY_S === 0) {
      const s = subjects[tick / STEADY_WITHDRAWAL_EVERY_S]!;
      await holders.release([s]);
      for (const [id, t] of await sendWithdrawals(stack, [s])) receipts.set(id, t);
    }
    if ((tick + 1) % SAMPLE_EVERY_S === 0) rssMb.push(procMb(pid, 'VmRSS'));
    await sleep(Math.max(0, start + (tick + 1) * 1000 - Date.now()));
  }
  const withdrawalDelays = await deliveryDelays(holders, receipts, 60_000);
  rssMb.push(procMb(pid, 'VmRSS'));
  // Consents still cooling off and propagations waiting for acknowledgements would outlive the bench.
  await Promise.all(
    [...consentIds.map(workflowIds.coolingOff), ...[...receipts.keys()].map(workflowIds.withdrawal)].map((wid) =>
      client.workflow
        .getHandle(wid)
        .terminate('benchmark done')
        .catch(() => undefined),
    ),
  );
  return { rssMb, consents: consentIds.length, withdrawals: subjects.length, withdrawalDelays };
}
