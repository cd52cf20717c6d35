// The revocation-notice store (MongoDB): one document per notice — i.e. per (withdrawal, data user) —
// and one per withdrawal. It is the read model behind the data users' pull API, the acknowledgement
// route and the propagation status for auditors and hospitals. The workflow activities write it
// AFTER the matching ledger event, so it never says more than the ledger; every write is an
// idempotent upsert / conditional $set, so an activity retry changes nothing.
import { isDuplicateKey, type Collection, type Db } from '../adapters/mongo.js';
import type { Scope } from '../contracts/consent/vocabulary.js';

export interface NoticeDoc {
  _id: string; // noticeId
  withdrawalId: string;
  subject: string;
  dataUserId: string;
  scope: Scope;
  withdrawnAt: string;
  sentAt: string;
  dueBy: string;
  /** When the data user POSTed its acknowledgement (before the workflow recorded it). */
  ackReceivedAt?: string;
  /** When revocation.acknowledged was written. */
  acknowledgedAt?: string;
  overdueAt?: string;
  publishedAt?: string;
  delivery: { attempts: number; lastAttemptAt?: string; lastError?: string; deliveredAt?: string; remindersDelivered: number; channel?: 'webhook' | 'pull-only' };
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
export interface RevocationNotice {
  noticeId: string;
  withdrawalId: string;
  subject: string;
  dataUserId: string;
  scope: Scope;
  withdrawnAt: string;
  sentAt: string;
  dueBy: string;
  acknowledgePath: string;
}

export function toNotice(d: NoticeDoc): RevocationNotice {
  return {
    noticeId: d._id, withdrawalId: d.withdrawalId, subject: d.subject, dataUserId: d.dataUserId, scope: d.scope,
    withdrawnAt: d.withdrawnAt, sentAt: d.sentAt, dueBy: d.dueBy, acknowledgePath: `/v1/revocations/${d._id}/acknowledgement`,
  };
}

export class NoticeStore {
  readonly notices: Collection<NoticeDoc>;
  readonly withdrawals: Collection<WithdrawalDoc>;

  constructor(db: Db) {
    this.notices = db.collection<NoticeDoc>('revocation_notices');
    this.withdrawals = db.collection<WithdrawalDoc>('revocation_withdrawals');
  }

  async ensureIndexes(): Promise<void> {
    await this.notices.createIndex({ dataUserId: 1, _id: 1 });
    await this.notices.createIndex({ withdrawalId: 1 });
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
    await this.notices.updateOne({ _id: doc._id }, { $setOnInsert: { ...doc, delivery: { attempts: 0, remindersDelivered: 0 } } }, { upsert: true });
    return (await this.notices.findOne({ _id: doc._id }))!;
  }

  get(noticeId: string): Promise<NoticeDoc | null> { return this.notices.findOne({ _id: noticeId }); }

  async markPublished(noticeId: string, at: string): Promise<void> {
    await this.notices.updateOne({ _id: noticeId, publishedAt: { $exists: false } }, { $set: { publishedAt: at } });
  }

  async deliveryAttempt(noticeId: string, at: string, outcome: { error?: string; delivered?: boolean; reminder?: boolean; channel: 'webhook' | 'pull-only' }): Promise<void> {
    const set: Record<string, unknown> = { 'delivery.lastAttemptAt': at, 'delivery.channel': outcome.channel };
    if (outcome.error !== undefined) set['delivery.lastError'] = outcome.error;
    const inc: Record<string, number> = { 'delivery.attempts': 1 };
    if (outcome.delivered && outcome.reminder) inc['delivery.remindersDelivered'] = 1;
    // One update per attempt. A reminder carries the same notice: whichever delivery lands first
    // delivers it ($min keeps the earliest; UTC ISO strings of one format sort by time).
    await this.notices.updateOne({ _id: noticeId }, {
      $set: set, $inc: inc,
      ...(outcome.delivered && { $min: { 'delivery.deliveredAt': at }, $unset: { 'delivery.lastError': '' } }),
    });
  }

  /** The data user's acknowledgement arrived (first time wins); returns the stored notice. */
  async receiveAcknowledgement(noticeId: string, at: string): Promise<NoticeDoc | null> {
    await this.notices.updateOne({ _id: noticeId, ackReceivedAt: { $exists: false } }, { $set: { ackReceivedAt: at } });
    return this.get(noticeId);
  }

  async markAcknowledged(noticeId: string, at: string): Promise<void> {
    await this.notices.updateOne({ _id: noticeId, acknowledgedAt: { $exists: false } }, { $set: { acknowledgedAt: at } });
  }

  async markOverdue(noticeId: string, at: string): Promise<void> {
    await this.notices.updateOne({ _id: noticeId, overdueAt: { $exists: false } }, { $set: { overdueAt: at } });
  }

  async markCompleted(withdrawalId: string, at: string): Promise<void> {
    await this.withdrawals.updateOne({ _id: withdrawalId, completedAt: { $exists: false } }, { $set: { completedAt: at } });
  }

  /** A data user's notices it has not acknowledged, in notice-id order after `cursor`. */
  pending(dataUserId: string, cursor: string | undefined, limit: number): Promise<NoticeDoc[]> {
    return this.notices
      .find({ dataUserId, ackReceivedAt: { $exists: false }, ...(cursor !== undefined && { _id: { $gt: cursor } }) })
      .sort({ _id: 1 }).limit(limit).toArray();
  }

  async status(withdrawalId: string): Promise<{ withdrawal: WithdrawalDoc; notices: NoticeDoc[] } | undefined> {
    const withdrawal = await this.withdrawals.findOne({ _id: withdrawalId });
    if (!withdrawal) return undefined;
    const notices = await this.notices.find({ withdrawalId }).sort({ dataUserId: 1 }).toArray();
    return { withdrawal, notices };
  }
}
