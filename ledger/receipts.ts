// Idempotency of ledger writes by event id, shared by every ingest instance (MongoDB).
//
// A write is claimed (insert of the event id, unique) before it goes to Kafka and completed with its
// ledger position after Kafka's ack. The same id again → the stored receipt, nothing new written;
// the same id with other content → conflict. The one window in which a retry can put a second physical
// copy on the ledger is a crash between Kafka's ack and `complete` (a few ms): the claim is then
// stale, a retry after STALE_CLAIM_MS takes it over and writes again. Readers dedupe by event id, and
// the auditor counts such physical duplicates.
//
// Completion is an INSERT into a second collection (`ingest_receipts_written`), not an update of the
// claim: FerretDB 1.x hangs on one update command carrying ~100 statements (a 500-event batch never
// completed) and can lose one of two concurrent updates of a document; inserts have neither problem.
import type { Collection, Db } from '../adapters/mongo.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import type { LedgerPosition } from './writer.js';
import { Coalescer } from '../adapters/coalesce.js';

export const STALE_CLAIM_MS = 30_000;

interface ClaimDoc {
  _id: string;
  source: string;
  contentHash: string;
  state: 'pending' | 'failed';
  owner: string;
  claimedAt: number;
}

/** Where a claimed event went: written once Kafka acknowledged it. */
interface WrittenDoc { _id: string; position: LedgerPosition; event: LedgerEvent }

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'written'; position: LedgerPosition; event: LedgerEvent }
  | { kind: 'conflict' }
  | { kind: 'in-flight' };

interface ClaimItem { eventId: string; source: string; contentHash: string }
interface Written { position: LedgerPosition; event: LedgerEvent }

export interface StoredReceipt { position: LedgerPosition; event: LedgerEvent }

export class ReceiptStore {
  private readonly col: Collection<ClaimDoc>;
  private readonly written: Collection<WrittenDoc>;
  // Concurrent requests' claims and completions share writes: SQLite (FerretDB) has one writer.
  private readonly claims = new Coalescer((items: ClaimItem[]) => this.claimBatch(items));
  private readonly completions = new Coalescer(async (items: Written[]) => { await this.completeBatch(items); return items; });

  /**
   * `isWriting(id)`: this instance's ledger writer still has the event in a send (LedgerWriter#isWriting);
   * its claim is then never taken over, however old.
   */
  constructor(
    db: Db, private readonly owner: string,
    private readonly opts: { isWriting?: (eventId: string) => boolean; now?: () => number } = {},
  ) {
    this.col = db.collection<ClaimDoc>('ingest_receipts');
    this.written = db.collection<WrittenDoc>('ingest_receipts_written');
  }

  private clock(): number { return (this.opts.now ?? Date.now)(); }

  /** Claim each event id for writing. */
  claimAll(items: readonly ClaimItem[]): Promise<Claim[]> { return this.claims.submit(items); }

  /** Record where each event went. */
  async complete(written: readonly Written[]): Promise<void> { await this.completions.submit(written); }

  private async claimBatch(items: readonly ClaimItem[]): Promise<Claim[]> {
    const claimedAt = this.clock();
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
    if (taken.size === 0) return items.map(() => ({ kind: 'claimed' as const }));
    // A retried batch: read the existing claims and receipts in one query each (FerretDB answers an
    // _id lookup with a scan, so one scan per collection beats one per event).
    const ids = items.filter((_, i) => taken.has(i)).map((i) => i.eventId);
    const [claimDocs, writtenDocs] = await Promise.all([
      this.col.find({ _id: { $in: ids } }).toArray(),
      this.written.find({ _id: { $in: ids } }).toArray(),
    ]);
    const claimsById = new Map(claimDocs.map((d) => [d._id, d]));
    const writtenById = new Map(writtenDocs.map((d) => [d._id, d]));
    return Promise.all(items.map((item, i) =>
      taken.has(i) ? this.resolveExisting(item, claimsById.get(item.eventId), writtenById.get(item.eventId)) : { kind: 'claimed' as const }));
  }

  private async resolveExisting(item: ClaimItem, doc: ClaimDoc | undefined, done: WrittenDoc | undefined): Promise<Claim> {
    if (!doc) return this.claimBatch([item]).then((c) => c[0]!); // removed meanwhile: claim afresh
    if (doc.contentHash !== item.contentHash) return { kind: 'conflict' };
    if (done) return { kind: 'written', position: done.position, event: done.event };
    const stillWriting = doc.owner === this.owner && (this.opts.isWriting?.(item.eventId) ?? false);
    const stale = doc.state === 'failed' || this.clock() - doc.claimedAt > STALE_CLAIM_MS;
    if (!stale || stillWriting) return { kind: 'in-flight' };
    // Take over a failed or abandoned claim; the filter makes it one winner among concurrent retries.
    const r = await this.col.updateOne(
      { _id: item.eventId, state: doc.state, claimedAt: doc.claimedAt },
      { $set: { state: 'pending', owner: this.owner, claimedAt: this.clock() } },
    );
    return r.modifiedCount === 1 ? { kind: 'claimed' } : { kind: 'in-flight' };
  }

  private async completeBatch(written: readonly Written[]): Promise<void> {
    if (written.length === 0) return;
    try {
      await this.written.insertMany(written.map(({ position, event }) => ({ _id: position.eventId, position, event })), { ordered: false });
    } catch (err) {
      // Already recorded (a late write's receipt, or a second completion of the same event): first wins.
      const writeErrors = (err as { writeErrors?: { code?: number; errmsg?: string }[] }).writeErrors;
      if (!writeErrors?.length || !writeErrors.every((w) => w.code === 11000 || /UNIQUE constraint failed/.test(w.errmsg ?? ''))) throw err;
    }
  }

  /** The writer is still resending these: keep their claims fresh so no other instance takes them over. */
  async touch(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.col.updateMany({ _id: { $in: [...eventIds] }, state: 'pending', owner: this.owner }, { $set: { claimedAt: this.clock() } });
  }

  /** The write was certainly not done: let a retry take the claim at once. */
  async release(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    await this.col.updateMany({ _id: { $in: [...eventIds] }, state: 'pending', owner: this.owner }, { $set: { state: 'failed' } });
  }

  async get(eventId: string): Promise<StoredReceipt | undefined> {
    const doc = await this.written.findOne({ _id: eventId });
    return doc ? { position: doc.position, event: doc.event } : undefined;
  }

  /** Poll until another instance finishes writing the event (or give up). */
  async waitWritten(eventId: string, timeoutMs: number): Promise<StoredReceipt | undefined> {
    const until = this.clock() + timeoutMs;
    while (this.clock() < until) {
      const r = await this.get(eventId);
      if (r) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    return undefined;
  }

}
