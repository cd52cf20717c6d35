// The revocation-notice store (MongoDB): one document per notice — i.e. per (withdrawal, data user) —
// and one per withdrawal. It is the read model behind the data users' pull API, the acknowledgement
// route and the propagation status for auditors and hospitals. The workflow activities write it
// AFTER the matching ledger event, so it never says more than the ledger; every write is an
// idempotent upsert / conditional $set, so an activity retry changes nothing.
//
// Milestones of a notice (acknowledgement received, acknowledged, overdue, published) are separate
// insert-only documents in `revocation_notice_marks`, not fields updated on the notice: FerretDB 1.x
// loses one of two concurrent updates of the same document (measured: 105 of 200), and the worker's
// delivery records race the data user's acknowledgement. An insert cannot be lost that way; readers
// merge the marks back into the notice (NoticeDoc's fields below).
import { isDuplicateKey, type Collection, type Db } from '../adapters/mongo.js';
import type { Attestation } from '../contracts/consent/attestation.js';
import type { Scope } from '../contracts/consent/vocabulary.js';
import type { RevocationNotice } from '../contracts/topicEvents.js';

export interface NoticeDoc {
  _id: string; // noticeId
  withdrawalId: string;
  subject: string;
  dataUserId: string;
  scope: Scope;
  withdrawnAt: string;
  sentAt: string;
  dueBy: string;
  /** Set on the notice of a release recorded after the refusal (contracts releaseAfterRefusal). */
  releaseEventId?: string;
  /** When the data user POSTed its acknowledgement (before the workflow recorded it). */
  ackReceivedAt?: string;
  /** What that acknowledgement attested (absent: acknowledged without attestation); kept with the
   *  first acknowledgement, as the workflow carries it into revocation.acknowledged. */
  attestation?: Attestation;
  /** When revocation.acknowledged was written. */
  acknowledgedAt?: string;
  overdueAt?: string;
  publishedAt?: string;
  delivery: {
    attempts: number;
    lastAttemptAt?: string;
    lastError?: string;
    deliveredAt?: string;
    remindersDelivered: number;
    channel?: 'webhook' | 'pull-only';
  };
}

export interface WithdrawalDoc {
  _id: string; // withdrawalId
  subject: string;
  /** The organisation that recorded the withdrawal (may see its status). */
  organisation: string;
  withdrawnAt: string;
  holders: string[];
  holdersFoundAt: string;
  completedAt?: string;
}

/** What a data user receives (webhook body, topic record, pull API item). No personal data beyond the pseudonym. */
/** A withdrawal and its notices, as stored. */
export interface WithdrawalStatusDoc {
  withdrawal: WithdrawalDoc;
  notices: NoticeDoc[];
}

export type { RevocationNotice } from '../contracts/topicEvents.js';

export function toNotice(d: NoticeDoc): RevocationNotice {
  return {
    noticeId: d._id,
    withdrawalId: d.withdrawalId,
    subject: d.subject,
    dataUserId: d.dataUserId,
    scope: d.scope,
    withdrawnAt: d.withdrawnAt,
    sentAt: d.sentAt,
    dueBy: d.dueBy,
    ...(d.releaseEventId !== undefined && { releaseEventId: d.releaseEventId }),
    acknowledgePath: `/v1/revocations/${d._id}/acknowledgement`,
  };
}

type MarkKind = 'ackReceivedAt' | 'acknowledgedAt' | 'overdueAt' | 'publishedAt';
interface MarkDoc {
  _id: string;
  noticeId: string;
  kind: MarkKind;
  at: string;
  /** ackReceivedAt only: what the acknowledgement attested. */
  attestation?: Attestation;
}

export class NoticeStore {
  readonly notices: Collection<NoticeDoc>;
  readonly withdrawals: Collection<WithdrawalDoc>;
  readonly marks: Collection<MarkDoc>;

  constructor(db: Db) {
    this.notices = db.collection<NoticeDoc>('revocation_notices');
    this.withdrawals = db.collection<WithdrawalDoc>('revocation_withdrawals');
    this.marks = db.collection<MarkDoc>('revocation_notice_marks');
  }

  async ensureIndexes(): Promise<void> {
    await this.notices.createIndex({ dataUserId: 1, _id: 1 });
    await this.notices.createIndex({ withdrawalId: 1 });
    await this.marks.createIndex({ noticeId: 1 });
  }

  /** First mark of a kind wins; a retry or a second acknowledgement changes nothing. */
  private async mark(noticeId: string, kind: MarkKind, at: string, attestation?: Attestation): Promise<void> {
    try {
      await this.marks.insertOne({
        _id: `${noticeId}/${kind}`,
        noticeId,
        kind,
        at,
        ...(attestation && { attestation }),
      });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** The notices with their marks merged in. */
  private async withMarks(docs: NoticeDoc[]): Promise<NoticeDoc[]> {
    if (docs.length === 0) return docs;
    const found = await this.marks.find({ noticeId: { $in: docs.map((d) => d._id) } }).toArray();
    const byNotice = new Map<string, Partial<Record<MarkKind, string>> & { attestation?: Attestation }>();
    for (const m of found)
      byNotice.set(m.noticeId, {
        ...byNotice.get(m.noticeId),
        [m.kind]: m.at,
        ...(m.attestation && { attestation: m.attestation }),
      });
    return docs.map((d) => ({ ...d, ...byNotice.get(d._id) }));
  }

  /** First write wins (a retry keeps the first answer). An insert, not an upsert with $setOnInsert:
   *  FerretDB 1.x drops empty arrays from $setOnInsert, and "no holders" is an empty list. */
  async recordHolders(w: WithdrawalDoc): Promise<void> {
    try {
      await this.withdrawals.insertOne(w);
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }

  /** Creates the notice once; a retry returns the stored one unchanged. */
  async issue(doc: Omit<NoticeDoc, 'delivery'>): Promise<NoticeDoc> {
    await this.notices.updateOne(
      { _id: doc._id },
      { $setOnInsert: { ...doc, delivery: { attempts: 0, remindersDelivered: 0 } } },
      { upsert: true },
    );
    return (await this.get(doc._id))!;
  }

  async get(noticeId: string): Promise<NoticeDoc | null> {
    const doc = await this.notices.findOne({ _id: noticeId });
    return doc ? (await this.withMarks([doc]))[0]! : null;
  }

  markPublished(noticeId: string, at: string): Promise<void> {
    return this.mark(noticeId, 'publishedAt', at);
  }

  async deliveryAttempt(
    noticeId: string,
    at: string,
    outcome: { error?: string; delivered?: boolean; reminder?: boolean; channel: 'webhook' | 'pull-only' },
  ): Promise<void> {
    const set: Record<string, unknown> = { 'delivery.lastAttemptAt': at, 'delivery.channel': outcome.channel };
    if (outcome.error !== undefined) set['delivery.lastError'] = outcome.error;
    const inc: Record<string, number> = { 'delivery.attempts': 1 };
    if (outcome.delivered && outcome.reminder) inc['delivery.remindersDelivered'] = 1;
    // One update per attempt. A reminder carries the same notice: whichever delivery lands first
    // delivers it ($min keeps the earliest; UTC ISO strings of one format sort by time).
    await this.notices.updateOne(
      { _id: noticeId },
      {
        $set: set,
        $inc: inc,
        ...(outcome.delivered && { $min: { 'delivery.deliveredAt': at }, $unset: { 'delivery.lastError': '' } }),
      },
    );
  }

  /** The data user's acknowledgement arrived, with what it attests (first time wins); returns the stored notice. */
  async receiveAcknowledgement(noticeId: string, at: string, attestation?: Attestation): Promise<NoticeDoc | null> {
    if (!(await this.notices.findOne({ _id: noticeId }, { projection: { _id: 1 } }))) return null;
    await this.mark(noticeId, 'ackReceivedAt', at, attestation);
    return this.get(noticeId);
  }

  markAcknowledged(noticeId: string, at: string): Promise<void> {
    return this.mark(noticeId, 'acknowledgedAt', at);
  }

  markOverdue(noticeId: string, at: string): Promise<void> {
    return this.mark(noticeId, 'overdueAt', at);
  }

  async markCompleted(withdrawalId: string, at: string): Promise<void> {
    await this.withdrawals.updateOne(
      { _id: withdrawalId, completedAt: { $exists: false } },
      { $set: { completedAt: at } },
    );
  }

  /** A data user's notices it has not acknowledged, in notice-id order after `cursor`. */
  async pending(dataUserId: string, cursor: string | undefined, limit: number): Promise<NoticeDoc[]> {
    const out: NoticeDoc[] = [];
    let after = cursor;
    // Acknowledged notices are filtered after reading (their marks live apart): read pages until full.
    for (;;) {
      const page = await this.notices
        .find({ dataUserId, ...(after !== undefined && { _id: { $gt: after } }) })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray();
      if (page.length === 0) return out;
      for (const d of await this.withMarks(page)) {
        if (d.ackReceivedAt === undefined) out.push(d);
        if (out.length === limit) return out;
      }
      if (page.length < limit) return out;
      after = page[page.length - 1]!._id;
    }
  }

  async status(withdrawalId: string): Promise<WithdrawalStatusDoc | undefined> {
    const withdrawal = await this.withdrawals.findOne({ _id: withdrawalId });
    if (!withdrawal) return undefined;
    const notices = await this.withMarks(await this.notices.find({ withdrawalId }).sort({ dataUserId: 1 }).toArray());
    return { withdrawal, notices };
  }
}
