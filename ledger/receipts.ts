// Idempotency of ledger writes by event id, shared by every ingest instance (MongoDB).
//
// A write is claimed (insert of the event id, unique) before it goes to Kafka and completed with its
// ledger position after Kafka's ack. The same id again → the stored receipt, nothing new written;
// the same id with other content → conflict. A claim whose writer vanished (a process killed between
// Kafka's ack and `complete`) is stale after STALE_CLAIM_MS; before a retry takes it over, the ledger
// itself is searched for the id (ledger/recordedSince.ts): found, its receipt is recorded and the retry
// replays it; not found, the claim is marked failed and the next retry writes. So a crash leaves no
// second copy. (Without that search — the in-memory ledger of virtual-time tests — a stale claim is
// taken over at once. Readers dedupe by event id, and the auditor counts physical duplicates.)
//
// While MongoDB is unreachable (StoreOutage):
// - 'refuse' (the default): a new claim is refused (503 + Retry-After). The claims are the ONLY record
//   shared by every instance of the "same id → same receipt, no second copy" promise; without them a
//   retry sent to another instance, or of an id older than this instance's memory, would put a second
//   copy on the ledger under a second receipt. Kafka cannot hold the claims instead (no conditional
//   write). A production MongoDB is a replica set that fails over in seconds, and a hospital system
//   retries a 503 as it does a Kafka outage, so refusing costs seconds, a duplicate costs the receipt.
//   Retries of ids this instance has in memory are still answered (they are known), and receipts of
//   writes Kafka acknowledged just as the store went away are kept and recorded once it is back.
// - 'accept-single-instance': ingest keeps accepting, claims and receipts are kept in memory and
//   recorded once the store is back (ledger/unrecordedReceipts.ts). Correct only where ONE instance
//   writes this ledger (the embedded single-host stack): that instance sees every retry.
//
// Completion is an INSERT into a second collection (`ingest_receipts_written`), not an update of the
// claim: FerretDB 1.x hangs on one update command carrying ~100 statements (a 500-event batch never
// completed) and can lose one of two concurrent updates of a document; inserts have neither problem.
import {
  fromJsonText,
  insertIgnoringDuplicates,
  isJsonText,
  isUnavailable,
  type Collection,
  type Db,
  type JsonTextDoc,
} from '../adapters/mongo.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { contentHashOf, eventJson } from './recordBytes.js';
import { parseEvent } from '../contracts/consent/validate.js';
import { DomainError } from '../contracts/domainError.js';
import { writerMetrics } from './writerMetrics.js';
import type { LedgerPosition } from './writer.js';
import { Coalescer } from '../adapters/coalesce.js';
import { UnrecordedReceipts, type ClaimItem } from './unrecordedReceipts.js';
import type { FindRecorded } from './recordedSince.js';

/** Identity of a submission for idempotency (ledger/recordBytes.ts says what it covers). */
export const contentHash = contentHashOf;

/** A receipt stored before the envelope gained `recordedtime`/`dataschema` holds the event as it was
 *  written then: read it like a ledger record (payload and envelope upcast), as every reader does. */
function asRead(stored: LedgerEvent): LedgerEvent {
  const r = parseEvent(stored);
  return r.ok ? r.event : stored;
}

export const STALE_CLAIM_MS = 30_000;

/** What a new claim gets while the store is unreachable (see the header). */
export type StoreOutage = 'refuse' | 'accept-single-instance';
export const STORE_OUTAGES: readonly StoreOutage[] = ['refuse', 'accept-single-instance'];
/** After the store failed to answer, requests skip it for this long instead of each waiting out a timeout. */
const STORE_DOWN_MS = 2_000;
const RECORD_EVERY_MS = 1_000;

interface ClaimDoc {
  _id: string;
  source: string;
  contentHash: string;
  state: 'pending' | 'failed';
  owner: string;
  /** Refreshed while the owner's writer still resends (touch): what staleness is measured from. */
  claimedAt: number;
  /** When the owner took the claim (not refreshed): a search for its write starts there. Absent in
   *  claims stored before it existed. */
  sentFrom?: number;
  /** The claimed event's data.occurredAt (ClaimItem#occurredAt). Absent in claims stored before it existed. */
  occurredAt?: string;
}

/** Where a claimed event went: written once Kafka acknowledged it, as the JSON text of its
 *  StoredReceipt (adapters/mongo.ts#toJsonText). Receipts stored before that hold the position and
 *  the event as documents. */
type WrittenDoc = JsonTextDoc | { _id: string; position: LedgerPosition; event: LedgerEvent };

// toJsonText(id, { position, event }), with the event's JSON as eventJson gives it (no third serialisation).
const writtenDoc = (position: LedgerPosition, event: LedgerEvent): WrittenDoc => ({
  _id: position.eventId,
  json: `{"position":${JSON.stringify(position)},"event":${eventJson(event)}}`,
});

function storedReceipt(doc: WrittenDoc): StoredReceipt {
  const { position, event } = isJsonText(doc) ? (fromJsonText(doc) as StoredReceipt) : doc;
  return { position, event: asRead(event) };
}

export type Claim =
  | { kind: 'claimed' }
  | { kind: 'written'; position: LedgerPosition; event: LedgerEvent }
  | { kind: 'conflict' }
  | { kind: 'in-flight' };

interface Written {
  position: LedgerPosition;
  event: LedgerEvent;
}

export interface StoredReceipt {
  position: LedgerPosition;
  event: LedgerEvent;
}

/** Read-only: the event the ledger recorded under `eventId` (its written receipt), for readers that
 *  must answer before any projection has caught up (e.g. a withdrawal's status right after its 202). */
export async function recordedEvent(db: Db, eventId: string): Promise<StoredReceipt | undefined> {
  const doc = await db.collection<WrittenDoc>(WRITTEN_COLLECTION).findOne({ _id: eventId });
  return doc ? storedReceipt(doc) : undefined;
}

const WRITTEN_COLLECTION = 'ingest_receipts_written';

export class ReceiptStore {
  private readonly col: Collection<ClaimDoc>;
  private readonly written: Collection<WrittenDoc>;
  // Concurrent requests' claims and completions share writes: SQLite (FerretDB) has one writer.
  private readonly claims = new Coalescer((items: ClaimItem[]) => this.claimBatch(items));
  private readonly completions = new Coalescer(async (items: Written[]) => {
    await this.completeBatch(items);
    return items;
  });
  private readonly unrecorded = new UnrecordedReceipts();
  /** Abandoned claims whose event this instance is looking for on the ledger. */
  private readonly recovering = new Set<string>();
  private storeDownUntil = 0;
  private recordTimer: NodeJS.Timeout | undefined;

  /**
   * `isWriting(id)`: this instance's ledger writer still has the event in a send (LedgerWriter#isWriting);
   * its claim is then never taken over, however old.
   */
  constructor(
    private readonly db: Db,
    private readonly owner: string,
    private readonly opts: {
      isWriting?: (eventId: string) => boolean;
      /** An id written during an outage turned out to be claimed already with other content. */
      onReusedId?: (eventId: string) => void;
      /** Default 'refuse'. */
      storeOutage?: StoreOutage;
      /** Searches the ledger for an abandoned claim's event before it is taken over (see the header). */
      findRecorded?: FindRecorded;
      now?: () => number;
    } = {},
  ) {
    this.col = db.collection<ClaimDoc>('ingest_receipts');
    this.written = db.collection<WrittenDoc>(WRITTEN_COLLECTION);
  }

  private clock(): number {
    return (this.opts.now ?? Date.now)();
  }

  private storeDown(): boolean {
    return this.clock() < this.storeDownUntil;
  }
  private markStoreDown(): void {
    this.storeDownUntil = this.clock() + STORE_DOWN_MS;
  }

  /** Claim each event id for writing. */
  async claimAll(items: readonly ClaimItem[]): Promise<Claim[]> {
    const out = items.map((i) => this.claimFromMemory(i));
    const rest = items.filter((_, k) => out[k] === undefined);
    if (rest.length > 0) {
      const claims = await this.claimFromStore(rest);
      let j = 0;
      out.forEach((c, k) => {
        if (c === undefined) out[k] = claims[j++];
      });
    }
    return out as Claim[];
  }

  private claimFromMemory(item: ClaimItem): Claim | undefined {
    const known = this.unrecorded.lookup(item.eventId);
    if (!known) return undefined;
    if (known.claim.contentHash !== item.contentHash) return { kind: 'conflict' };
    return known.kind === 'written'
      ? { kind: 'written', position: known.position, event: known.event }
      : { kind: 'in-flight' };
  }

  private async claimFromStore(items: readonly ClaimItem[]): Promise<Claim[]> {
    // Twice: the first call after the database restarted fails on a pooled connection it had closed.
    for (let attempt = 0; attempt < 2 && !this.storeDown(); attempt++) {
      try {
        return await this.claims.submit(items);
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        if (attempt === 1) this.markStoreDown();
      }
    }
    if ((this.opts.storeOutage ?? 'refuse') === 'refuse') {
      throw new DomainError(
        'unavailable',
        'the receipt store (MongoDB) is unavailable: without it a retry could be recorded twice; nothing was written',
      );
    }
    if (!this.unrecorded.hasRoomFor(items.length)) {
      throw new DomainError(
        'unavailable',
        'the receipt store (MongoDB) is unavailable and the backlog of unrecorded receipts is full',
      );
    }
    return items.map((i) => this.claimFromMemory(i) ?? (this.unrecorded.claim(i), { kind: 'claimed' as const }));
  }

  /** Record where each event went (kept in memory while the store is unreachable). */
  async complete(written: readonly Written[]): Promise<void> {
    const claimedInMemory = written.filter((w) => this.unrecorded.isClaimed(w.position.eventId));
    let forStore = written.filter((w) => !this.unrecorded.isClaimed(w.position.eventId));
    for (const w of claimedInMemory)
      this.unrecorded.wrote({ claim: this.unrecorded.lookup(w.position.eventId)!.claim, ...w });
    if (forStore.length > 0 && !this.storeDown()) {
      try {
        await this.completions.submit(forStore);
        for (const w of forStore) this.unrecorded.remember({ claim: this.claimOf(w), ...w });
        forStore = [];
      } catch (err) {
        if (!isUnavailable(err)) throw err;
        this.markStoreDown();
      }
    }
    for (const w of forStore) this.unrecorded.wrote({ claim: this.claimOf(w), ...w });
    this.scheduleRecording();
  }

  private claimOf(w: Written): ClaimItem {
    return { eventId: w.position.eventId, source: w.event.source, contentHash: contentHash(w.event) };
  }

  /** Whether a write can be accepted now: the store answers, or (accepting during outages) there is
   *  room to keep its receipt. */
  async acceptsWrites(): Promise<boolean> {
    if ((this.opts.storeOutage ?? 'refuse') === 'accept-single-instance' && this.unrecorded.hasRoomFor(1)) return true;
    return this.written.findOne({}, { projection: { _id: 1 } }).then(
      () => true,
      () => false,
    );
  }

  private scheduleRecording(): void {
    writerMetrics.unrecorded.set(this.unrecorded.size);
    if (this.recordTimer || !this.unrecorded.hasPending) return;
    this.recordTimer = setTimeout(() => {
      this.recordUnrecorded()
        .catch(() => this.markStoreDown())
        .finally(() => {
          this.recordTimer = undefined;
          this.scheduleRecording();
        });
    }, RECORD_EVERY_MS);
    this.recordTimer.unref();
  }

  /** Claims first, then receipts: a retry that finds the claim also finds the receipt, or waits for it. */
  private async recordUnrecorded(): Promise<void> {
    const batch = this.unrecorded.pending(500);
    if (batch.length === 0) return;
    const ids = batch.map((r) => r.claim.eventId);
    const claimedAt = this.clock();
    const existed = await insertIgnoringDuplicates(
      this.col,
      batch.map(({ claim }) => this.claimDoc(claim, claimedAt)),
    );
    if (existed.size > 0) {
      const existing = await this.col.find({ _id: { $in: ids.filter((_, i) => existed.has(i)) } }).toArray();
      const hashes = new Map(batch.map((r) => [r.claim.eventId, r.claim.contentHash]));
      for (const doc of existing) if (doc.contentHash !== hashes.get(doc._id)) this.opts.onReusedId?.(doc._id);
    }
    await insertIgnoringDuplicates(
      this.written,
      batch.map(({ position, event }) => writtenDoc(position, event)),
    );
    this.unrecorded.recorded(ids);
  }

  private claimDoc(i: ClaimItem, claimedAt: number): ClaimDoc {
    return {
      _id: i.eventId,
      source: i.source,
      contentHash: i.contentHash,
      state: 'pending',
      owner: this.owner,
      claimedAt,
      sentFrom: claimedAt,
      ...(i.occurredAt !== undefined && { occurredAt: i.occurredAt }),
    };
  }

  private async claimBatch(items: readonly ClaimItem[]): Promise<Claim[]> {
    const claimedAt = this.clock();
    const docs = items.map((i) => this.claimDoc(i, claimedAt));
    // A lost connection throws (nothing is known claimed: treating every id as claimed would write copies).
    const taken = await insertIgnoringDuplicates(this.col, docs);
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
    return Promise.all(
      items.map(async (item, i) =>
        taken.has(i)
          ? this.resolveExisting(item, claimsById.get(item.eventId), writtenById.get(item.eventId))
          : { kind: 'claimed' as const },
      ),
    );
  }

  private async resolveExisting(
    item: ClaimItem,
    doc: ClaimDoc | undefined,
    done: WrittenDoc | undefined,
  ): Promise<Claim> {
    if (!doc) return this.claimBatch([item]).then((c) => c[0]!); // removed meanwhile: claim afresh
    if (doc.contentHash !== item.contentHash) return { kind: 'conflict' };
    if (done) return { kind: 'written', ...storedReceipt(done) };
    const stillWriting = doc.owner === this.owner && (this.opts.isWriting?.(item.eventId) ?? false);
    const stale = doc.state === 'failed' || this.clock() - doc.claimedAt > STALE_CLAIM_MS;
    if (!stale || stillWriting) return { kind: 'in-flight' };
    if (doc.state === 'pending' && item.key !== undefined && this.opts.findRecorded) {
      this.recover(item.eventId, item.key, doc);
      return { kind: 'in-flight' };
    }
    // Take over a failed or abandoned claim; the filter makes it one winner among concurrent retries.
    const r = await this.col.updateOne(
      { _id: item.eventId, state: doc.state, claimedAt: doc.claimedAt },
      { $set: { state: 'pending', owner: this.owner, claimedAt: this.clock(), sentFrom: this.clock() } },
    );
    return r.modifiedCount === 1 ? { kind: 'claimed' } : { kind: 'in-flight' };
  }

  /** In the background, so a slow search holds up no other claim: the retry waits for the receipt
   *  (appendOnce's waitWritten) or, when the event was never written, its next retry claims it. */
  private recover(eventId: string, key: string, doc: ClaimDoc): void {
    if (this.recovering.has(eventId)) return;
    this.recovering.add(eventId);
    void (async () => {
      const found = await this.opts.findRecorded!(eventId, key, doc.sentFrom ?? doc.claimedAt);
      if (found) await insertIgnoringDuplicates(this.written, [writtenDoc(found.position, found.event)]);
      else
        await this.col.updateOne(
          { _id: eventId, state: 'pending', claimedAt: doc.claimedAt },
          { $set: { state: 'failed' } },
        );
    })()
      .catch(() => undefined) // the next retry searches again
      .finally(() => this.recovering.delete(eventId));
  }

  private async completeBatch(written: readonly Written[]): Promise<void> {
    // Already recorded (a late write's receipt, or a second completion of the same event): first wins.
    if (written.length > 0)
      await insertIgnoringDuplicates(
        this.written,
        written.map(({ position, event }) => writtenDoc(position, event)),
      );
  }

  /** The writer is still resending these: keep their claims fresh so no other instance takes them over. */
  async touch(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0 || this.storeDown()) return;
    await this.col.updateMany(
      { _id: { $in: [...eventIds] }, state: 'pending', owner: this.owner },
      { $set: { claimedAt: this.clock() } },
    );
  }

  /** The write was certainly not done: let a retry take the claim at once. */
  async release(eventIds: readonly string[]): Promise<void> {
    for (const id of eventIds) this.unrecorded.release(id);
    if (eventIds.length === 0) return;
    await this.col.updateMany(
      { _id: { $in: [...eventIds] }, state: 'pending', owner: this.owner },
      { $set: { state: 'failed' } },
    );
  }

  async get(eventId: string): Promise<StoredReceipt | undefined> {
    const known = this.unrecorded.lookup(eventId);
    if (known?.kind === 'written') return { position: known.position, event: known.event };
    return recordedEvent(this.db, eventId);
  }

  /** When the event claimed under `eventId` happened, from its receipt or, while none is recorded (its
   *  writer still sending, or killed before recording it), from its claim. */
  async claimedOccurredAt(eventId: string): Promise<string | undefined> {
    const stored = await this.get(eventId);
    if (stored) return stored.event.data.occurredAt;
    const known = this.unrecorded.lookup(eventId);
    if (known?.kind === 'writing') return known.claim.occurredAt;
    const claim = await this.col.findOne({ _id: eventId }, { projection: { occurredAt: 1 } });
    return claim?.occurredAt;
  }

  /** Poll until another instance finishes writing the event (or give up). */
  async waitWritten(eventId: string, timeoutMs: number): Promise<StoredReceipt | undefined> {
    const until = this.clock() + timeoutMs;
    while (this.clock() < until) {
      const r = await this.get(eventId).catch((err: unknown) => {
        if (isUnavailable(err)) return undefined;
        throw err;
      });
      if (r) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    return undefined;
  }
}
