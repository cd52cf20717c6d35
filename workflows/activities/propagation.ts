// Activities of withdrawal propagation: who holds the data, notices, webhook deliveries, and the
// ledger events of each step (revocation.sent / acknowledged / overdue, withdrawal.completed).
import { ApplicationFailure, Context } from '@temporalio/activity';
import { holdersWithin, type HolderProfile } from '../../contracts/consent/holders.js';
import type { Attestation } from '../../contracts/consent/attestation.js';
import type { DataOf } from '../../contracts/consent/events.js';
import type { EventPosition } from '../../contracts/consent/order.js';
import type { Scope } from '../../contracts/consent/vocabulary.js';
import { deliverWebhook, DeliveryFailed } from '../../revocations/delivery.js';
import { toNotice } from '../../revocations/notices.js';
import { revocationNoticeEvent } from '../../contracts/topicEvents.js';
import { structuredModeHeaders } from '../../contracts/topics.js';
import type { ActivityDeps } from './index.js';
import { projectionBehind } from './projectionBehind.js';
import { noticeIdFor, releaseNoticeIdFor, systemEventId } from './ids.js';
import { appendSystemEvent, systemEvent } from './ledgerEvents.js';

export interface WithdrawalRef {
  withdrawalId: string;
  subject: string;
  /** A release recorded after the refusal: its notice and ledger ids derive from this event. */
  releaseEventId?: string;
}

/** The event the ids of a notice's steps derive from: the release after refusal, else the withdrawal. */
const dutyKey = (w: WithdrawalRef) => w.releaseEventId ?? w.withdrawalId;

/** A holder's notice as the one-step start of a propagation left it (noticeHolders). */
export interface HolderNotice {
  dataUserId: string;
  noticeId: string;
  /** The first delivery attempt: 'failed' leaves the delivery to the workflow's retried deliverNotice. */
  firstDelivery: 'delivered' | 'pull-only' | 'acknowledged' | 'failed';
}

type NoticeInput = WithdrawalRef & {
  dataUserId: string;
  scope: Scope;
  withdrawnAt: string;
  sentAt: string;
  dueBy: string;
  policyVersion: string;
};
type Issued = Awaited<ReturnType<ActivityDeps['notices']['issue']>>;
type Hook = Awaited<ReturnType<ActivityDeps['webhooks']['get']>>;

export function propagationActivities(deps: ActivityDeps) {
  /** A holder's step of a duty on the ledger, once (its id derives from the duty, the step and the holder). */
  function recordStep<T extends 'revocation.sent' | 'revocation.acknowledged' | 'revocation.overdue'>(
    type: T,
    step: string,
    a: WithdrawalRef & { dataUserId: string },
    data: DataOf<T>,
  ): Promise<boolean> {
    const id = systemEventId(dutyKey(a), step, a.dataUserId);
    return appendSystemEvent(deps.ledger, systemEvent(type, id, a.subject, data, deps.now()));
  }

  /** revocation.sent on the ledger, then the notice in the store: what must precede any delivery. */
  async function issue(a: NoticeInput): Promise<Issued> {
    const noticeId =
      a.releaseEventId !== undefined
        ? releaseNoticeIdFor(a.releaseEventId, a.dataUserId)
        : noticeIdFor(a.withdrawalId, a.dataUserId);
    await recordStep('revocation.sent', 'sent', a, {
      occurredAt: a.sentAt,
      withdrawalId: a.withdrawalId,
      dataUserId: a.dataUserId,
      noticeId,
      dueBy: a.dueBy,
      policyVersion: a.policyVersion,
    });
    return deps.notices.issue({
      _id: noticeId,
      withdrawalId: a.withdrawalId,
      subject: a.subject,
      dataUserId: a.dataUserId,
      scope: a.scope,
      withdrawnAt: a.withdrawnAt,
      sentAt: a.sentAt,
      dueBy: a.dueBy,
      ...(a.releaseEventId !== undefined && { releaseEventId: a.releaseEventId }),
    });
  }

  /** The notice on the revocations topic, once: a crash between the send and the mark re-publishes
   *  (topic readers dedupe by noticeId). */
  async function publish(doc: Issued): Promise<void> {
    if (doc.publishedAt) return;
    await deps.revocations.producer.send({
      topic: deps.revocations.topic,
      acks: -1,
      messages: [
        {
          key: doc.dataUserId,
          value: JSON.stringify(revocationNoticeEvent(toNotice(doc))),
          headers: structuredModeHeaders(),
        },
      ],
    });
    await deps.notices.markPublished(doc._id, deps.now().toISOString());
  }

  /** One webhook delivery attempt of a notice in hand ('pull-only' without a webhook). */
  async function deliver(doc: Issued, hook: Hook, reminderNo?: number): Promise<'delivered' | 'pull-only'> {
    const at = deps.now().toISOString();
    const reminder = reminderNo !== undefined && reminderNo > 0;
    if (!hook) {
      await deps.notices.deliveryAttempt(doc._id, at, { channel: 'pull-only' });
      return 'pull-only';
    }
    try {
      await deliverWebhook(hook, toNotice(doc), reminder ? { reminder: reminderNo } : {}, {
        timeoutMs: deps.webhookTimeoutMs,
        now: deps.now,
      });
    } catch (err) {
      const message = err instanceof DeliveryFailed ? err.message : 'delivery failed';
      await deps.notices.deliveryAttempt(doc._id, at, { channel: 'webhook', error: message, reminder });
      deps.log.warn(
        { noticeId: doc._id, dataUserId: doc.dataUserId, attempt: Context.current().info.attempt, error: message },
        'webhook delivery failed; will retry',
      );
      throw ApplicationFailure.retryable(message, 'DeliveryFailed');
    }
    await deps.notices.deliveryAttempt(doc._id, at, { channel: 'webhook', delivered: true, reminder });
    deps.log.info({ noticeId: doc._id, dataUserId: doc.dataUserId, reminder }, 'webhook delivered');
    return 'delivered';
  }

  const activities = {
    /**
     * Every data user with a release of the subject within the withdrawn scope recorded before the
     * withdrawal on the ledger, whatever the release's occurredAt (contracts holdersWithin); read
     * from the projection once it has applied the withdrawal's own ledger position (so every earlier
     * release of the subject is in it). A release recorded after it is answered on its own (the
     * dispatcher's release-after-refusal check), so none is missed and none told twice.
     */
    async findHolders(
      w: WithdrawalRef & { organisation: string; occurredAt: string; scope: Scope; position: EventPosition },
    ): Promise<string[]> {
      const reached = await deps.projection.waitForOffset(
        w.position.partition,
        w.position.offset,
        deps.projectionWaitMs,
      );
      if (!reached) throw projectionBehind('withdrawal');
      const state = await deps.projection.subject(w.subject);
      const profiles = new Map<string, HolderProfile | undefined>();
      for (const r of state?.releases ?? []) {
        if (!profiles.has(r.dataUserId)) profiles.set(r.dataUserId, await deps.projection.dataUser(r.dataUserId));
      }
      const holders = state ? holdersWithin(state, w.scope, (id) => profiles.get(id), w.position) : [];
      await deps.notices.recordHolders({
        _id: w.withdrawalId,
        subject: w.subject,
        organisation: w.organisation,
        withdrawnAt: w.occurredAt,
        holders,
        holdersFoundAt: deps.now().toISOString(),
      });
      deps.log.info({ withdrawalId: w.withdrawalId, holders: holders.length }, 'holders found');
      return holders;
    },

    /**
     * A propagation's first steps in one activity, which always ran in a row, each its own round trip
     * (or ten) through Temporal: the holders (findHolders; or the one named, for a release after
     * refusal), every holder's notice issued (issueNotice) and one delivery attempt each. A delivery
     * that fails is not an error here: the workflow retries it with back-off (deliverNotice). A retry
     * of this activity repeats only what had not finished (every step is idempotent), though a
     * webhook may then be delivered twice (receivers dedupe by notice id, as for any retry).
     */
    async noticeHolders(
      a: WithdrawalRef & {
        organisation: string;
        occurredAt: string;
        scope: Scope;
        position: EventPosition;
        /** Given (a release after refusal): these holders, without looking them up. */
        holders?: string[];
        sentAt: string;
        dueBy: string;
        policyVersion: string;
      },
    ): Promise<{ holders: string[]; notices: HolderNotice[] }> {
      const holders = a.holders ?? (await activities.findHolders(a));
      // On the way to each webhook only what must precede it (the ledger, then the store): the webhook
      // is looked up meanwhile, the notice delivered as issued (not read back) and published beside it.
      // (Promise.all, so a lookup or a publish that fails beside a failure is never left unhandled.)
      const notices = await Promise.all(
        holders.map(async (dataUserId): Promise<HolderNotice> => {
          const [doc, hook] = await Promise.all([
            issue({ ...a, dataUserId, withdrawnAt: a.occurredAt }),
            deps.webhooks.get(dataUserId),
          ]);
          const [firstDelivery] = await Promise.all([
            doc.ackReceivedAt
              ? ('acknowledged' as const)
              : deliver(doc, hook).catch((err: unknown) => {
                  if (err instanceof ApplicationFailure && err.type === 'DeliveryFailed') return 'failed' as const;
                  throw err;
                }),
            publish(doc),
          ]);
          return { dataUserId, noticeId: doc._id, firstDelivery };
        }),
      );
      return { holders, notices };
    },

    /** revocation.sent on the ledger, then the notice in the store (pull API) and on the revocations topic. */
    async issueNotice(a: NoticeInput): Promise<string> {
      const doc = await issue(a);
      await publish(doc);
      return doc._id;
    },

    /** One webhook delivery attempt (the retry policy brings the next). 'pull-only' without a webhook. */
    async deliverNotice(a: {
      noticeId: string;
      reminder?: number;
    }): Promise<'delivered' | 'pull-only' | 'acknowledged'> {
      const doc = await deps.notices.get(a.noticeId);
      if (!doc) throw ApplicationFailure.nonRetryable('unknown notice', 'UnknownNotice');
      if (doc.ackReceivedAt) return 'acknowledged';
      return deliver(doc, await deps.webhooks.get(doc.dataUserId), a.reminder);
    },

    async recordAcknowledged(
      a: WithdrawalRef & { dataUserId: string; noticeId: string; at: string; attestation?: Attestation },
    ): Promise<void> {
      await recordStep('revocation.acknowledged', 'ack', a, {
        occurredAt: a.at,
        withdrawalId: a.withdrawalId,
        dataUserId: a.dataUserId,
        noticeId: a.noticeId,
        attestation: a.attestation ?? null,
      });
      await deps.notices.markAcknowledged(a.noticeId, a.at);
    },

    async recordOverdue(a: WithdrawalRef & { dataUserId: string; noticeId: string; dueBy: string }): Promise<void> {
      await recordStep('revocation.overdue', 'overdue', a, {
        occurredAt: a.dueBy,
        withdrawalId: a.withdrawalId,
        dataUserId: a.dataUserId,
        noticeId: a.noticeId,
        dueBy: a.dueBy,
      });
      await deps.notices.markOverdue(a.noticeId, a.dueBy);
    },

    async completeWithdrawal(a: WithdrawalRef & { dataUserIds: string[]; at: string }): Promise<void> {
      await appendSystemEvent(
        deps.ledger,
        systemEvent(
          'withdrawal.completed',
          systemEventId(a.withdrawalId, 'completed'),
          a.subject,
          {
            occurredAt: a.at,
            withdrawalId: a.withdrawalId,
            dataUserIds: [...a.dataUserIds].sort(),
          },
          deps.now(),
        ),
      );
      await deps.notices.markCompleted(a.withdrawalId, a.at);
    },
  };
  return activities;
}
