// Carries one withdrawal (workflow id withdrawal:<withdrawalId>) to every data user holding the
// subject's data within the withdrawn scope. For each holder, in parallel:
//   revocation.sent (one notice id per withdrawal and data user) → webhook delivery, retried with
//   exponential back-off until it is delivered or acknowledged → reminders before the SLA →
//   revocation.overdue at the SLA (and keep waiting) → revocation.acknowledged when the data user
//   POSTs its acknowledgement (the acknowledgement route signals this workflow).
// withdrawal.completed once every holder has acknowledged (at once when nobody held the data).
// A webhook delivery is never taken as an acknowledgement.
// The same duty carries the notice for a release recorded after a refusal (workflow id
// releaseAfterRefusal:<noticeId>, input.releaseAfterRefusal): one holder, named by the dispatcher,
// under the same SLA and reminders; it ends with that holder's acknowledgement.
import {
  CancellationScope,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
} from '@temporalio/workflow';
import { acknowledgementDueBy, acknowledgementReminderTimes } from '../contracts/consent/lifecycle.js';
import type { Activities } from './activities/index.js';
import type { HolderNotice } from './activities/propagation.js';
import { nowIso, waitUntil } from './clock.js';
import { acknowledgeSignal, holdersQuery } from './signals.js';
import type { AcknowledgeArgs, HolderStatus, WithdrawalInput } from './types.js';

// Unlimited attempts: an outage delays a step, it never skips one.
const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };
// Short: a worker that dies mid-step is noticed (and the step retried elsewhere) within this time.
const steps = proxyActivities<Activities>({ startToCloseTimeout: '20s', retry });
// The first steps in one (noticeHolders): up to the projection wait, the ledger writes and a webhook's
// own timeout, in a row.
const firstSteps = proxyActivities<Activities>({ startToCloseTimeout: '45s', retry });

export const DEFAULT_DELIVERY_MAX_INTERVAL_MS = 10 * 60_000;

export async function withdrawalPropagation(input: WithdrawalInput): Promise<{ holders: string[] }> {
  const delivery = proxyActivities<Activities>({
    startToCloseTimeout: '15s', // the webhook's own timeout is shorter (WEBHOOK_TIMEOUT_MS)
    retry: {
      initialInterval: '1s',
      backoffCoefficient: 2,
      maximumInterval: input.deliveryMaxIntervalMs ?? DEFAULT_DELIVERY_MAX_INTERVAL_MS,
    },
  });
  const acks: AcknowledgeArgs[] = [];
  const status = new Map<string, HolderStatus>();
  // Kept as received; each holder's wait matches its own notice id (a stray or forged signal matches none).
  setHandler(acknowledgeSignal, (a) => {
    if (!acks.some((b) => b.dataUserId === a.dataUserId && b.noticeId === a.noticeId)) acks.push(a);
  });
  setHandler(holdersQuery, () => [...status.values()]);

  const { withdrawalId, subject, policy } = input;
  const late = input.releaseAfterRefusal;
  // Ledger and notice ids of a release after refusal derive from the release event, not the refusal.
  const releaseEventId = late ? { releaseEventId: late.releaseEventId } : {};
  const lookup = {
    withdrawalId,
    subject,
    organisation: input.organisation,
    occurredAt: input.occurredAt,
    scope: input.scope,
    position: input.position,
  };
  // Holders, notices and first deliveries in one activity; histories recorded before it replay their steps.
  const noticed = new Map<string, HolderNotice>();
  let firstSentAt: string | undefined;
  let holders: string[];
  if (patched('holders-noticed-in-one-step')) {
    firstSentAt = nowIso();
    const r = await firstSteps.noticeHolders({
      ...lookup,
      ...releaseEventId,
      ...(late && { holders: [late.dataUserId] }),
      sentAt: firstSentAt,
      dueBy: acknowledgementDueBy(firstSentAt, policy),
      policyVersion: policy.version,
    });
    holders = r.holders;
    for (const n of r.notices) noticed.set(n.dataUserId, n);
  } else holders = late ? [late.dataUserId] : await steps.findHolders(lookup);
  for (const dataUserId of holders) status.set(dataUserId, { dataUserId, acknowledged: false, overdue: false });

  const carry = async (dataUserId: string): Promise<void> => {
    const h = status.get(dataUserId)!;
    const first = noticed.get(dataUserId);
    const sentAt = firstSentAt ?? nowIso();
    const dueBy = acknowledgementDueBy(sentAt, policy);
    const noticeId =
      first?.noticeId ??
      (await steps.issueNotice({
        withdrawalId,
        ...releaseEventId,
        subject,
        dataUserId,
        scope: input.scope,
        withdrawnAt: input.occurredAt,
        sentAt,
        dueBy,
        policyVersion: policy.version,
      }));
    h.noticeId = noticeId;
    const ackOf = () => acks.find((a) => a.dataUserId === dataUserId && a.noticeId === noticeId);
    const acked = () => ackOf() !== undefined;

    // Deliveries run in the background of the wait; the acknowledgement cancels whatever is still retrying.
    const deliveries = new CancellationScope();
    const background: Promise<unknown>[] = [];
    const send = (reminder?: number) =>
      background.push(
        deliveries
          .run(() => delivery.deliverNotice({ noticeId, ...(reminder !== undefined && { reminder }) }))
          .catch((err: unknown) => {
            if (!isCancellation(err)) throw err;
          }),
      );
    // Delivered (or pull-only, or already acknowledged) in the first step: only reminders from here.
    if (!first || first.firstDelivery === 'failed') send();
    let n = 0;
    for (const at of acknowledgementReminderTimes(sentAt, policy)) {
      if (await waitUntil(at, acked)) break;
      send(++n);
    }
    if (!(await waitUntil(dueBy, acked))) {
      await steps.recordOverdue({ withdrawalId, ...releaseEventId, subject, dataUserId, noticeId, dueBy });
      h.overdue = true;
      await condition(acked);
    }
    deliveries.cancel();
    const { at, attestation } = ackOf()!;
    await steps.recordAcknowledged({
      withdrawalId,
      ...releaseEventId,
      subject,
      dataUserId,
      noticeId,
      at,
      ...(attestation && { attestation }),
    });
    h.acknowledged = true;
    await Promise.allSettled(background);
  };

  await Promise.all(holders.map(carry));
  if (!late) await steps.completeWithdrawal({ withdrawalId, subject, dataUserIds: holders, at: nowIso() });
  return { holders };
}
