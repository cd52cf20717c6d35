// Idempotency of ledger writes by event id, shared by every ingest instance (MongoDB).
//
// A write is claimed (insert of the event id, unique) before it goes to Kafka and completed with its
// ledger position after Kafka's ack. The same id again → the stored receipt, nothing new written;
// the same id with other content → conflict. The one window in which a retry can put a second physical
// copy on the ledger is a crash between Kafka's ack and `complete` (a few ms): the claim is then
// stale, a retry after STALE_CLAIM_MS takes it over and writes again. Readers dedupe by event id, and
// the auditor counts such physical duplicates.
import type { Collection, Db } from '../adapters/mongo.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import type { LedgerPosition } from './writer.js';
import { Coalescer } from '../adapters/coalesce.js';

export const STALE_CLAIM_MS = 30_000;

interface ReceiptDoc {
  _id: string;
  source: string;
  contentHash: string;
  state: 'pending' | 'failed' | 'written';
  owner: string;
  claimedAt: number;
  position?: LedgerPosition;
  event?: LedgerEvent;
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'written'; position: LedgerPosition; event: LedgerEvent }
  | { kind: 'conflict' }
  | { kind: 'in-flight' };

interface ClaimItem { eventId: string; source: string; contentHash: string }
interface Written { position: LedgerPosition; event: LedgerEvent }

export interface StoredReceipt { position: LedgerPosition; event: LedgerEvent }

export class ReceiptStore {
  private readonly col: Collection<ReceiptDoc>;
  // Concurrent requests' claims and completions share writes: SQLite (FerretDB) has one writer.
  private readonly claims = new Coalescer((items: ClaimItem[]) => this.claimBatch(items));
  private readonly completions = new Coalescer(async (items: Written[]) => { await this.completeBatch(items); return items; });

  constructor(db: Db, private readonly owner: string, private readonly now = () => Date.now()) {
    this.col = db.collection<ReceiptDoc>('ingest_receipts');
  }

  /** Claim each event id for writing. */
  claimAll(items: readonly ClaimItem[]): Promise<Claim[]> { return this.claims.submit(items); }

  /** Record where each event went. */
  async complete(written: readonly Written[]): Promise<void> { await this.completions.submit(written); }

  private async claimBatch(items: readonly ClaimItem[]): Promise<Claim[]> {
    const claimedAt = this.now();
    const docs = items.map((i) => ({ _id: i.eventId, source: i.source, contentHash: i.contentHash, state: 'pending' as const, owner: this.owner, claimedAt }));
    const taken = new Set<number>();
    try {
      await this.col.insertMany(docs, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { index: number; err?: unknown; code?: number; errmsg?: string }[] }).writeErrors;
      // A lost connection also surfaces as a bulk-write error, with an empty writeErrors list: then
      // nothing is known to be claimed, and treating every id as claimed would write duplicates.
      if (!writeErrors?.length) throw err;
      for (const w of writeErrors) {
        if (w.code === 11000 || /UNIQUE constraint failed/.test(w.errmsg ?? '')) taken.add(w.index);
        else throw err;
      }
    }
    return Promise.all(items.map((item, i) => (taken.has(i) ? this.resolveExisting(item) : { kind: 'claimed' as const })));
  }

  private async resolveExisting(item: { eventId: string; contentHash: string }): Promise<Claim> {
    const doc = await this.col.findOne({ _id: item.eventId });
    if (!doc) return this.claimBatch([{ ...item, source: '' }]).then((c) => c[0]!); // removed meanwhile: claim afresh
    if (doc.contentHash !== item.contentHash) return { kind: 'conflict' };
    if (doc.state === 'written') return { kind: 'written', position: doc.position!, event: doc.event! };
    const stale = doc.state === 'failed' || this.now() - doc.claimedAt > STALE_CLAIM_MS;
    if (!stale) return { kind: 'in-flight' };
    // Take over a failed or abandoned claim; the filter makes it one winner among concurrent retries.
    const r = await this.col.updateOne(
      { _id: item.eventId, state: doc.state, claimedAt: doc.claimedAt },
      { $set: { state: 'pending', owner: this.owner, claimedAt: this.now() } },
    );
    return r.modifiedCount === 1 ? { kind: 'claimed' } : { kind: 'in-flight' };
  }

  private async completeBatch(written: readonly Written[]): Promise<void> {
    if (written.length === 0) return;
    await this.col.bulkWrite(written.map(({ position, event }) => ({
      updateOne: { filter: { _id: position.eventId }, update: { $set: { state: 'written' as const, position, event } } },
    })), { ordered: false });
  }

  /** The write was not acknowledged: let a retry take the claim at once. */
  async release(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.col.updateMany({ _id: { $in: [...eventIds] }, state: 'pending', owner: this.owner }, { $set: { state: 'failed' } });
  }

  async get(eventId: string): Promise<StoredReceipt | undefined> {
    const doc = await this.col.findOne({ _id: eventId, state: 'written' });
    return doc ? { position: doc.position!, event: doc.event! } : undefined;
  }

  /** Poll until another instance finishes writing the event (or give up). */
  async waitWritten(eventId: string, timeoutMs: number): Promise<StoredReceipt | undefined> {
    const until = this.now() + timeoutMs;
    while (this.now() < until) {
      const r = await this.get(eventId);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    return undefined;
  }

}
