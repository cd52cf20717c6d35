// Exactly-once appends by event id, for every writer of the ledger (ingest, the data-user registry,
// release records, workflow activities): claim each id in the receipt store, append the new ones
// through the LedgerWriter in one send, record where they went. A retry of an event already written
// gets the stored position and writes nothing; the same id with other content is a conflict.
import type { LedgerEvent } from '../contracts/consent/events.js';
import { DomainError } from '../contracts/domainError.js';
import { LedgerUnavailable, type LedgerPosition, type LedgerWriter } from './writer.js';
import { contentHash, type ReceiptStore } from './receipts.js';
import type { ClaimItem } from './unrecordedReceipts.js';

export { contentHash };

export interface LedgerAppender {
  writer: LedgerWriter;
  receipts: ReceiptStore;
}

export interface Appended {
  position: LedgerPosition;
  /** The event as recorded (for a replay: as first recorded, with its original `time`). */
  event: LedgerEvent;
  /** True when the event id had already been recorded: nothing new was written. */
  replayed: boolean;
}

/** What the receipt store keeps of an event claimed for writing. */
export const claimOf = (e: LedgerEvent): ClaimItem => ({
  eventId: e.id,
  source: e.source,
  contentHash: contentHash(e),
  key: e.subject,
  occurredAt: e.data.occurredAt,
});

/**
 * Append each event once. Throws DomainError 'conflict' (nothing written) when an id was used for
 * other content, 'unavailable' when Kafka did not acknowledge (claims of unsent events released) or
 * another writer holds a claim and does not finish in time.
 */
export async function appendOnce(deps: LedgerAppender, events: readonly LedgerEvent[]): Promise<Appended[]> {
  const claims = await deps.receipts.claimAll(events.map(claimOf));
  const conflicts = claims.flatMap((c, i) => (c.kind === 'conflict' ? [i] : []));
  if (conflicts.length > 0) {
    throw new DomainError(
      'conflict',
      'an event with this id was already recorded with different content; nothing new was written',
      conflicts.map((i) => ({
        field: events.length > 1 ? `/${i}/id` : '/id',
        message: 'already used for a different event',
      })),
    );
  }
  const fresh = events.filter((_, i) => claims[i]!.kind === 'claimed');
  let positions: LedgerPosition[];
  try {
    positions = await deps.writer.appendAll(fresh);
  } catch (err) {
    // Release only what is certainly not on the ledger; a sent write may still land (the writer resends
    // it until the broker answers) and its claim then gets its receipt, so a retry replays it.
    const unwritten = err instanceof LedgerUnavailable ? err.unwritten : fresh.map((e) => e.id);
    await deps.receipts.release(unwritten).catch(() => undefined);
    throw err;
  }
  // Kafka has the events; recording the receipts closes the small double-write window.
  await deps.receipts.complete(positions.map((position, i) => ({ position, event: fresh[i]! })));
  const written = new Map(positions.map((p, i) => [p.eventId, { position: p, event: fresh[i]! }]));
  return Promise.all(
    events.map(async (event, i): Promise<Appended> => {
      const claim = claims[i]!;
      if (claim.kind === 'written') return { position: claim.position, event: claim.event, replayed: true };
      if (claim.kind === 'in-flight') {
        const done = await deps.receipts.waitWritten(event.id, 3000);
        if (!done) throw new DomainError('unavailable', `event ${event.id} is being written by another request; retry`);
        return { ...done, replayed: true };
      }
      return { ...written.get(event.id)!, replayed: false };
    }),
  );
}
