// Receipts ingest could not record because MongoDB was unreachable. Kafka is the ledger; MongoDB only
// remembers which event ids were written where. So while the database is down, ingest still writes
// to Kafka and acknowledges, and keeps the claims and receipts here, in memory, until it can record
// them. This instance answers retries from here meanwhile (the same id replays, other content under
// it conflicts), and from the last RECENT_RECEIPTS receipts it recorded. What it cannot see is another
// instance's writes, or its own older ones: such a retry during an outage may write a second physical
// copy, which readers skip by event id and auditors count.
import type { LedgerEvent } from '../contracts/consent/events.js';
import type { LedgerPosition } from './writer.js';
import { eventJson } from './recordBytes.js';

export interface ClaimItem {
  eventId: string;
  source: string;
  contentHash: string;
  /** The record's partition key (the subject): where to search the ledger for an abandoned claim. */
  key?: string;
  /** The event's data.occurredAt: a retry of a request that derives it (a release or registration sent
   *  without one) derives the same from the claim, before the receipt is recorded (see occurredAtFor). */
  occurredAt?: string;
}
export interface UnrecordedReceipt {
  claim: ClaimItem;
  position: LedgerPosition;
  event: LedgerEvent;
}

/** A recorded receipt as kept for retries: the event as its JSON text, about 0.5 KB, where the event's
 *  objects took several times that (and kept its record's bytes alive): 10,000 of them are kept. */
interface RecentReceipt {
  claim: ClaimItem;
  position: LedgerPosition;
  eventJson: string;
}

/** How many receipts may wait in memory; beyond that ingest answers 503 rather than grow without bound. */
const MAX_UNRECORDED = 50_000;
/** Recorded receipts kept to answer retries while the store is unreachable: at least this many, the
 *  oldest dropped first, EVICT_EVERY at a time. */
export const RECENT_RECEIPTS = 10_000;
const EVICT_EVERY = 1_000;

export class UnrecordedReceipts {
  /** Claimed without the store: being written now. */
  private readonly writing = new Map<string, ClaimItem>();
  /** Written to Kafka, receipt not yet in the store. */
  private readonly written = new Map<string, UnrecordedReceipt>();
  /** Recorded in the store: kept for retries during an outage. */
  private readonly recent = new Map<string, RecentReceipt>();

  get size(): number {
    return this.writing.size + this.written.size;
  }
  hasRoomFor(n: number): boolean {
    return this.size + n <= MAX_UNRECORDED;
  }

  /** What this instance knows of an id without the store, if anything. */
  lookup(
    eventId: string,
  ): { kind: 'writing'; claim: ClaimItem } | ({ kind: 'written' } & UnrecordedReceipt) | undefined {
    const w = this.written.get(eventId) ?? this.fromRecent(eventId);
    if (w) return { kind: 'written', ...w };
    const claim = this.writing.get(eventId);
    return claim ? { kind: 'writing', claim } : undefined;
  }

  claim(item: ClaimItem): void {
    this.writing.set(item.eventId, item);
  }
  isClaimed(eventId: string): boolean {
    return this.writing.has(eventId);
  }
  release(eventId: string): void {
    this.writing.delete(eventId);
  }

  /** Kafka has it: keep the receipt until the store takes it. */
  wrote(receipt: UnrecordedReceipt): void {
    this.writing.delete(receipt.claim.eventId);
    this.written.set(receipt.claim.eventId, receipt);
  }

  get hasPending(): boolean {
    return this.written.size > 0;
  }

  /** Receipts waiting for the store (the oldest `max`). */
  pending(max: number): UnrecordedReceipt[] {
    const out: UnrecordedReceipt[] = [];
    for (const r of this.written.values()) {
      if (out.length >= max) break;
      out.push(r);
    }
    return out;
  }

  /** The store has these now. */
  recorded(eventIds: readonly string[]): void {
    for (const id of eventIds) {
      const r = this.written.get(id);
      this.written.delete(id);
      if (r) this.remember(r);
    }
  }

  /** A receipt the store has: remembered, so a retry during a later outage still replays it. */
  remember({ claim, position, event }: UnrecordedReceipt): void {
    this.recent.delete(claim.eventId);
    this.recent.set(claim.eventId, { claim, position, eventJson: eventJson(event) });
    if (this.recent.size > RECENT_RECEIPTS + EVICT_EVERY) this.evictOldest(this.recent.size - RECENT_RECEIPTS);
  }

  private fromRecent(eventId: string): UnrecordedReceipt | undefined {
    const r = this.recent.get(eventId);
    return r && { claim: r.claim, position: r.position, event: JSON.parse(r.eventJson) as LedgerEvent };
  }

  /** In chunks: each `keys().next()` on a Map steps over every entry deleted before it, so dropping
   *  the oldest one per insert cost a scan per request (half a second per 100,000 under ingest load). */
  private evictOldest(count: number): void {
    let left = count;
    for (const id of this.recent.keys()) {
      if (left-- === 0) break;
      this.recent.delete(id);
    }
  }
}
