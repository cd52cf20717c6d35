// Workflows running / overdue, from Temporal visibility (CountWorkflowExecutions), refreshed on a timer
// into the shared Prometheus registry. Overdue = a withdrawal still propagating after the policy's
// acknowledgement period (lifecycle overdueIfStartedBefore: every notice was due by then). A visibility query that
// fails leaves the last values (and is logged once per failure streak): metrics never block dispatching.
import type { Client } from '@temporalio/client';
import { overdueIfStartedBefore } from '../../contracts/consent/lifecycle.js';
import type { Policy } from '../../contracts/consent/policy.js';
import { workflowMetrics } from './metrics.js';
import { errorMessage, type Logger } from '../../adapters/logger.js';

const WORKFLOW_TYPES = ['coolingOff', 'withdrawalPropagation'] as const;

export interface WorkflowGaugeDeps {
  client: Client;
  /** The task queue each workflow type runs on. */
  taskQueues: Record<(typeof WORKFLOW_TYPES)[number], string>;
  /** The policy applied to new withdrawals (its acknowledgement period). */
  policy: Policy;
  log: Logger;
}

export async function refreshWorkflowGauges(d: WorkflowGaugeDeps, now = new Date()): Promise<void> {
  const open = (type: (typeof WORKFLOW_TYPES)[number]) =>
    `TaskQueue = '${d.taskQueues[type]}' AND ExecutionStatus = 'Running' AND WorkflowType = '${type}'`;
  for (const type of WORKFLOW_TYPES) {
    const { count } = await d.client.workflow.count(open(type));
    workflowMetrics.running.set({ workflow: type }, count);
  }
  const before = overdueIfStartedBefore(now.toISOString(), d.policy);
  const { count } = await d.client.workflow.count(`${open('withdrawalPropagation')} AND StartTime < '${before}'`);
  workflowMetrics.overdue.set({ workflow: 'withdrawalPropagation' }, count);
}

/** Refreshes every `intervalMs`; returns a stop function. */
export function startWorkflowGauges(d: WorkflowGaugeDeps, intervalMs = 15_000): () => void {
  let failing = false;
  const tick = () =>
    refreshWorkflowGauges(d).then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        if (!failing) d.log.warn({ err: errorMessage(err) }, 'workflow gauges: visibility query failed');
        failing = true;
      },
    );
  void tick();
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
