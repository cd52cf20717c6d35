// The stores the activities write besides the ledger, as plain objects that keep what they were
// given: the revocation notices (with each delivery attempt and its virtual time), the webhook
// registry, the organisations' notification outbox and the revocations topic. Same first-write-wins
// semantics as the MongoDB stores (revocations/notices.ts, organisationNotifications.ts), so a
// retried activity changes nothing here either.
import type { Producer } from '../../adapters/kafka.js';
import { answer } from './memoryLedger.js';
import type { NoticeDoc, NoticeStore, WithdrawalDoc } from '../../revocations/notices.js';
import type { WebhookRegistry } from '../../revocations/webhooks.js';
import type {
  OrganisationNotification,
  OrganisationNotifications,
} from '../../workflows/activities/organisationNotifications.js';

export interface DeliveryAttempt {
  noticeId: string;
  at: string;
  channel: 'webhook' | 'pull-only';
  delivered?: boolean;
  reminder?: boolean;
  error?: string;
}

type Mark = 'ackReceivedAt' | 'acknowledgedAt' | 'overdueAt' | 'publishedAt';

/** The NoticeStore methods the activities (and the acknowledgement route) call. */
export type NoticeMethods = Pick<
  NoticeStore,
  | 'recordHolders'
  | 'issue'
  | 'get'
  | 'markPublished'
  | 'deliveryAttempt'
  | 'receiveAcknowledgement'
  | 'markAcknowledged'
  | 'markOverdue'
  | 'markCompleted'
>;

export function memoryNotices() {
  const notices = new Map<string, Omit<NoticeDoc, Mark>>();
  const marks = new Map<string, Partial<Record<Mark, string>> & { attestation?: NoticeDoc['attestation'] }>();
  const withdrawals = new Map<string, WithdrawalDoc>();
  const attempts: DeliveryAttempt[] = [];
  const mark = (noticeId: string, kind: Mark, at: string) =>
    answer(() => {
      const m = marks.get(noticeId) ?? {};
      m[kind] ??= at;
      marks.set(noticeId, m);
    });
  const get = (noticeId: string): Promise<NoticeDoc | null> =>
    answer(() => {
      const doc = notices.get(noticeId);
      return doc ? structuredClone({ ...doc, ...marks.get(noticeId) }) : null;
    });
  const store: NoticeMethods = {
    recordHolders: (w) =>
      answer(() => {
        if (!withdrawals.has(w._id)) withdrawals.set(w._id, structuredClone(w));
      }),
    async issue(doc) {
      if (!notices.has(doc._id)) notices.set(doc._id, { ...doc, delivery: { attempts: 0, remindersDelivered: 0 } });
      return (await get(doc._id))!;
    },
    get,
    markPublished: (noticeId, at) => mark(noticeId, 'publishedAt', at),
    deliveryAttempt: (noticeId, at, outcome) =>
      answer(() => {
        attempts.push({ noticeId, at, ...outcome });
        const d = notices.get(noticeId)?.delivery;
        if (!d) return;
        d.attempts += 1;
        d.lastAttemptAt = at;
        d.channel = outcome.channel;
        if (outcome.delivered && outcome.reminder) d.remindersDelivered += 1;
        if (outcome.delivered && (d.deliveredAt === undefined || at < d.deliveredAt)) d.deliveredAt = at;
      }),
    async receiveAcknowledgement(noticeId, at, attestation) {
      if (!notices.has(noticeId)) return null;
      const first = marks.get(noticeId)?.ackReceivedAt === undefined;
      await mark(noticeId, 'ackReceivedAt', at);
      if (first && attestation) marks.get(noticeId)!.attestation = structuredClone(attestation);
      return get(noticeId);
    },
    markAcknowledged: (noticeId, at) => mark(noticeId, 'acknowledgedAt', at),
    markOverdue: (noticeId, at) => mark(noticeId, 'overdueAt', at),
    markCompleted: (withdrawalId, at) =>
      answer(() => {
        const w = withdrawals.get(withdrawalId);
        if (w) w.completedAt ??= at;
      }),
  };
  return {
    store,
    /** Every delivery attempt in the order made, with the (virtual) time it was made. */
    attempts: attempts as readonly DeliveryAttempt[],
    withdrawal: (withdrawalId: string) => structuredClone(withdrawals.get(withdrawalId)),
  };
}

/** A registry without webhooks: every data user pulls its notices (deliveries are recorded as
 *  pull-only attempts, with their virtual time). Webhook delivery is tested on the real servers
 *  (workflows/propagation.int.spec.ts): a receiver checks the signature's timestamp against its own
 *  wall clock, which virtual time runs months ahead of. */
export function memoryWebhooks(): Pick<WebhookRegistry, 'get'> {
  return { get: () => answer(() => undefined) };
}

export function memoryNotifications() {
  const sent = new Map<string, OrganisationNotification>();
  const store: Pick<OrganisationNotifications, 'notify'> = {
    notify: (n) =>
      answer(() => {
        if (sent.has(n._id)) return false;
        sent.set(n._id, structuredClone(n));
        return true;
      }),
  };
  /** In the order sent. */
  return { store, sent: () => [...sent.values()] };
}

/** The producer the activities publish revocation notices with (consent.revocations.v1). */
export function memoryRevocationsTopic() {
  const published: { key: string; value: unknown }[] = [];
  const producer: Pick<Producer, 'send'> = {
    send: (record) =>
      answer(() => {
        for (const m of record.messages)
          published.push({ key: String(m.key), value: JSON.parse(String(m.value)) as unknown });
        return [];
      }),
  };
  return { producer, published: published as readonly { key: string; value: unknown }[] };
}
