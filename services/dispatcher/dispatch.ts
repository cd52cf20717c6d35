// What the dispatcher does with each ledger event: start or signal the workflow it concerns.
//   consent.given        → start coolingOff:<eventId>
//   consent.withdrawn    → signal `cancel` to the pending consents it cancels; start withdrawal:<eventId>
//   optout.registered    → signal `cancel` to the pending consents it cancels (prospective: no propagation)
//   consent.reconfirmed  → signal `reconfirm` to coolingOff:<consentId>
//   release.recorded     → if recorded after a covering refusal (contracts releaseAfterRefusal): start
//                          releaseAfterRefusal:<noticeId>, the propagation of that one release
// Two lanes, each its own consumer group over the whole ledger (services/dispatcher/main.ts), so a
// withdrawal never waits behind a backlog of consents:
//   lifecycle    consent.given, consent.reconfirmed, and the cancellations a refusal signals — in
//                ledger order per subject (a cancellation must find its consent's workflow started);
//                within a batch the subjects with a refusal go first (see dispatchBatch);
//   propagation  withdrawal propagation starts and releases after refusal: everything else is skipped
//                at once, so a withdrawal behind 10,000 consent.given is started in milliseconds. It
//                needs no order against the lifecycle lane: what it starts reads the projection at the
//                event's own position. Measured before the split (workflows/propagation.int.spec.ts, 300
//                consents then a withdrawal, one lane): the withdrawal's workflow started 18.9 s late.
// Propagation's workflows run on their own task queue and worker slots (TEMPORAL_PROPAGATION_TASK_QUEUE).
// dispatchOne does both lanes' work for one event (a single-lane caller: the virtual-time kit).
// Which consents a refusal cancels is asked of the projection (contracts consentsCancelledBy) once it
// has applied the refusal's own ledger position — every earlier event of the subject is then in it,
// and their workflows were started by this same consumer earlier (same partition, in order). A
// consent that reaches the ledger only after a refusal that post-dates it is caught by the
// workflow's own check before it writes consent.effective.
// Idempotent: workflow ids derive from event ids and are never reused (REJECT_DUPLICATE), so a
// re-delivered event is "already started" = success; signals are idempotent in the workflows.
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { WorkflowNotFoundError, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { consentsCancelledBy } from '../../contracts/consent/cancellation.js';
import { releaseAfterRefusal } from '../../contracts/consent/holders.js';
import type { EventOf } from '../../contracts/consent/events.js';
import { policyOf, type PolicySet } from '../../contracts/consent/policy.js';
import type { Logger } from '../../adapters/logger.js';
import type { LedgerRecord } from '../../ledger/reader.js';
import { withRecordContext } from '../../ledger/consumerSpans.js';
import { workflowMetrics } from './metrics.js';
import type { ProjectionReader } from '../../projections/reader.js';
import { cancelSignal, reconfirmSignal } from '../../workflows/signals.js';
import { releaseNoticeIdFor } from '../../workflows/activities/ids.js';
import { SEARCH_ATTRIBUTES, workflowIds, type ConsentInput, type WithdrawalInput } from '../../workflows/types.js';

const subjectKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.subject, SearchAttributeType.KEYWORD);
const eventTypeKey = defineSearchAttributeKey(SEARCH_ATTRIBUTES.eventType, SearchAttributeType.KEYWORD);

export interface DispatchDeps {
  client: Client;
  /** The consent lifecycle's task queue (coolingOff). */
  taskQueue: string;
  /** Withdrawal propagation's own task queue (TEMPORAL_PROPAGATION_TASK_QUEUE); taskQueue when unset. */
  propagationTaskQueue?: string;
  projection: Pick<ProjectionReader, 'subject' | 'dataUser' | 'waitForOffset'>;
  /** Every policy version applied: a consent runs on its recorded version, a withdrawal on the current one. */
  policies: PolicySet;
  log: Logger;
  projectionWaitMs: number;
  deliveryMaxIntervalMs: number;
  /** Subjects handled at once within a batch (each subject's events stay in ledger order). */
  concurrency: number;
}

export class ProjectionBehind extends Error {
  override readonly name = 'ProjectionBehind';
}

/** A refusal: it cancels pending consents and (a withdrawal) starts a propagation. */
const isRefusal = (r: LedgerRecord) => r.event.type === 'consent.withdrawn' || r.event.type === 'optout.registered';

/**
 * Handles one partition's batch for one lane; resolves only when Temporal accepted every start and
 * signal. Subjects are handled `concurrency` at a time, each subject's events in ledger order (a
 * cancellation must find the consent's workflow started). The subjects with a refusal in the batch
 * go first: the cancellations a refusal signals do not wait behind every consent.given of the batch.
 * The propagation lane starts the batch's withdrawals before it checks the batch's releases.
 */
export async function dispatchBatch(
  deps: DispatchDeps,
  records: readonly LedgerRecord[],
  lane: Lane = 'lifecycle',
): Promise<void> {
  if (lane === 'lifecycle') return dispatchInOrder(deps, records, dispatchLifecycle);
  // Propagation: the batch's withdrawals are started first, then its releases are checked. A start reads
  // nothing, while each release's check waits for the projector to apply it: in ledger order, a
  // withdrawal waited behind the releases before it (its holders' releases, usually), as long as the
  // projector lagged during a burst. Neither depends on the other: a propagation finds its holders in
  // the projection at its own position, a release's check reads the projection at the release's.
  await dispatchInOrder(deps, records.filter(isWithdrawal), dispatchPropagation);
  await dispatchInOrder(deps, records.filter(isRelease), dispatchPropagation);
}

const isWithdrawal = (r: LedgerRecord) => r.event.type === 'consent.withdrawn';
const isRelease = (r: LedgerRecord) => r.event.type === 'release.recorded';

/** `handle` for each record, `concurrency` subjects at a time, each subject's in ledger order, refusals' subjects first. */
async function dispatchInOrder(
  deps: DispatchDeps,
  records: readonly LedgerRecord[],
  handle: (deps: DispatchDeps, r: LedgerRecord) => Promise<void>,
): Promise<void> {
  const bySubject = new Map<string, LedgerRecord[]>();
  for (const r of records) {
    const list = bySubject.get(r.event.subject);
    if (list) list.push(r);
    else bySubject.set(r.event.subject, [r]);
  }
  const all = [...bySubject.values()];
  const queues = [...all.filter((q) => q.some(isRefusal)), ...all.filter((q) => !q.some(isRefusal))];
  const run = async () => {
    // Each record in its own trace: the workflow start carries the context of the request that wrote it.
    for (let q = queues.shift(); q; q = queues.shift())
      for (const r of q) await withRecordContext(r, () => handle(deps, r));
  };
  await Promise.all(Array.from({ length: Math.min(deps.concurrency, queues.length) }, run));
}

export type Lane = 'lifecycle' | 'propagation';

/** Both lanes' work for one event, lifecycle first (a cancellation before the propagation it precedes). */
export async function dispatchOne(deps: DispatchDeps, r: LedgerRecord): Promise<void> {
  await dispatchLifecycle(deps, r);
  await dispatchPropagation(deps, r);
}

/** The propagation lane: withdrawals' propagations and releases after refusal. */
export function dispatchPropagation(deps: DispatchDeps, r: LedgerRecord): Promise<void> {
  const e = r.event;
  switch (e.type) {
    case 'consent.withdrawn':
      return startWithdrawal(deps, r, e);
    case 'release.recorded':
      return answerReleaseAfterRefusal(deps, r, e);
    default:
      return Promise.resolve();
  }
}

/** The lifecycle lane: consents' workflows, and the cancellations refusals signal to them. */
export async function dispatchLifecycle(deps: DispatchDeps, r: LedgerRecord): Promise<void> {
  const e = r.event;
  switch (e.type) {
    case 'consent.given':
      return startConsent(deps, r, e);
    case 'consent.withdrawn':
    case 'optout.registered':
      return cancelPending(deps, r);
    case 'consent.reconfirmed':
      return signal(deps, workflowIds.coolingOff(e.data.consentId), () =>
        deps.client.workflow
          .getHandle(workflowIds.coolingOff(e.data.consentId))
          .signal(reconfirmSignal, { eventId: e.id, occurredAt: e.data.occurredAt, expressedBy: e.data.expressedBy }),
      );
    default:
      return;
  }
}

async function start(
  deps: DispatchDeps,
  workflow: 'coolingOff' | 'withdrawalPropagation',
  workflowId: string,
  go: () => Promise<unknown>,
): Promise<void> {
  const began = performance.now();
  try {
    await go();
    workflowMetrics.started.inc({ workflow });
    // How long Temporal took to accept the start: under a burst, the part of a withdrawal's lag that is the server's.
    deps.log.info({ workflowId, startMs: Math.round(performance.now() - began) }, 'workflow started');
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return; // a re-delivered event: already done
    throw err;
  }
}

async function signal(deps: DispatchDeps, workflowId: string, go: () => Promise<void>): Promise<void> {
  try {
    await go();
  } catch (err) {
    // Closed (e.g. already effective, or lapsed) or never started (unknown consent): nothing to change.
    if (err instanceof WorkflowNotFoundError) {
      deps.log.info({ workflowId }, 'signal for a workflow that is not running: ignored');
      return;
    }
    throw err;
  }
}

function startConsent(deps: DispatchDeps, r: LedgerRecord, e: EventOf<'consent.given'>) {
  // The version recorded on the consent, never "whatever is configured now": the ledger names the rules applied.
  const policy = policyOf(deps.policies, e.data.policyVersion);
  if (!policy) {
    // Ingest refuses unknown versions, so this is a deployment that dropped a version it once applied.
    // The consent stays not effective (decisions deny, naming the unknown version) rather than run on other rules.
    deps.log.error(
      { consentId: e.id, policyVersion: e.data.policyVersion },
      'consent names a policy version this deployment does not hold: no lifecycle started (add the version to CONSENT_POLICIES)',
    );
    return Promise.resolve();
  }
  const input: ConsentInput = {
    consentId: e.id,
    subject: e.subject,
    organisation: e.source,
    occurredAt: e.data.occurredAt,
    setting: e.data.capture.setting,
    policyVersion: e.data.policyVersion,
    ...(e.data.validUntil !== undefined && { validUntil: e.data.validUntil }),
    ...(e.data.expressedBy.role !== 'person' &&
      e.data.expressedBy.authorityEndsAt !== undefined && { authorityEndsAt: e.data.expressedBy.authorityEndsAt }),
    position: { partition: r.partition, offset: r.offset },
    policy,
  };
  const workflowId = workflowIds.coolingOff(e.id);
  return start(deps, 'coolingOff', workflowId, () =>
    deps.client.workflow.start('coolingOff', {
      taskQueue: deps.taskQueue,
      workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: subjectKey, value: e.subject },
        { key: eventTypeKey, value: e.type },
      ],
    }),
  );
}

function startWithdrawal(deps: DispatchDeps, r: LedgerRecord, e: EventOf<'consent.withdrawn'>) {
  const input: WithdrawalInput = {
    withdrawalId: e.id,
    subject: e.subject,
    organisation: e.source,
    occurredAt: e.data.occurredAt,
    scope: e.data.scope,
    position: { partition: r.partition, offset: r.offset },
    policy: deps.policies.current,
    deliveryMaxIntervalMs: deps.deliveryMaxIntervalMs,
  };
  return startPropagation(deps, workflowIds.withdrawal(e.id), input, e);
}

function startPropagation(deps: DispatchDeps, workflowId: string, input: WithdrawalInput, e: LedgerRecord['event']) {
  return start(deps, 'withdrawalPropagation', workflowId, () =>
    deps.client.workflow.start('withdrawalPropagation', {
      taskQueue: deps.propagationTaskQueue ?? deps.taskQueue,
      workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: subjectKey, value: e.subject },
        { key: eventTypeKey, value: e.type },
      ],
    }),
  );
}

async function subjectAt(deps: DispatchDeps, r: LedgerRecord) {
  const reached = await deps.projection.waitForOffset(r.partition, r.offset, deps.projectionWaitMs);
  // Not committing is the safe answer: the batch is re-delivered and tried again.
  if (!reached) throw new ProjectionBehind(`projection has not reached ${r.partition}/${r.offset}`);
  return deps.projection.subject(r.event.subject);
}

/**
 * A release recorded after a withdrawal or national opt-out that covers it (contracts
 * releaseAfterRefusal, asked of the projection once it has applied the release): its data user
 * gets its own notice, under the same SLA, from a propagation of that one release.
 */
async function answerReleaseAfterRefusal(deps: DispatchDeps, r: LedgerRecord, e: EventOf<'release.recorded'>) {
  const state = await subjectAt(deps, r);
  if (!state) return;
  const profile = await deps.projection.dataUser(e.data.dataUserId);
  const found = releaseAfterRefusal(state, e.id, () => profile, deps.policies);
  if (!found) return;
  const { refusal, release } = found;
  const noticeId = releaseNoticeIdFor(e.id, release.dataUserId);
  deps.log.warn(
    {
      releaseEventId: e.id,
      refusalId: refusal.eventId,
      dataUserId: release.dataUserId,
      releasedBy: release.releasedBy,
    },
    'release recorded after a covering refusal: notifying its data user',
  );
  const input: WithdrawalInput = {
    withdrawalId: refusal.eventId,
    subject: e.subject,
    organisation: refusal.recordedBy,
    occurredAt: refusal.occurredAt,
    scope: refusal.scope,
    position: { partition: r.partition, offset: r.offset },
    policy: deps.policies.current,
    deliveryMaxIntervalMs: deps.deliveryMaxIntervalMs,
    releaseAfterRefusal: { releaseEventId: e.id, dataUserId: release.dataUserId },
  };
  return startPropagation(deps, workflowIds.releaseAfterRefusal(noticeId), input, e);
}

async function cancelPending(deps: DispatchDeps, r: LedgerRecord): Promise<void> {
  const state = await subjectAt(deps, r);
  if (!state) return;
  for (const c of consentsCancelledBy(state, r.event.id)) {
    const workflowId = workflowIds.coolingOff(c.consentId);
    await signal(deps, workflowId, () =>
      deps.client.workflow
        .getHandle(workflowId)
        .signal(cancelSignal, { byEventId: c.byEventId, occurredAt: c.occurredAt, expressedBy: c.expressedBy }),
    );
    deps.log.info({ workflowId, by: c.byEventId }, 'cancellation signalled');
  }
}
