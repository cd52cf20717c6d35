// The ledger of a virtual-time test, in memory: the LedgerAppender the activities write through
// (appendOnce's claim → append → complete, so a retried activity is deduplicated exactly as on Kafka)
// and the projection the activities and the dispatcher read, folded from it with the core's own
// foldEvents / evolveDataUser. Every event is validated with parseEvent, the check every ledger
// reader applies: an activity that writes an event the ledger would not accept fails its workflow
// at once (non-retryable) instead of retrying until the test times out.
import { ApplicationFailure } from '@temporalio/activity';
import { canonicalBytes } from '../../contracts/consent/canonical.js';
import { evolveDataUser, isDataUserEvent, type DataUserRecord } from '../../contracts/consent/dataUsers.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { foldEvents, isSubjectEvent } from '../../contracts/consent/fold.js';
import type { PositionedEvent } from '../../contracts/consent/order.js';
import { parseEvent } from '../../contracts/consent/validate.js';
import { TOPICS } from '../../contracts/topics.js';
import type { LedgerAppender } from '../../ledger/appendOnce.js';
import { contentHash, type Claim, type ReceiptStore, type StoredReceipt } from '../../ledger/receipts.js';
import type { LedgerPosition, LedgerWriter } from '../../ledger/writer.js';
import type { ProjectionReader } from '../../projections/reader.js';
import { createHash } from 'node:crypto';

export interface MemoryLedger {
  /** For createActivities and the kit's own appends (appendOnce). */
  appender: LedgerAppender;
  /** The projection as activities and the dispatcher read it: always caught up with the ledger. */
  projection: Pick<ProjectionReader, 'subject' | 'dataUser' | 'waitForOffset'>;
  /** Every record in ledger order (one partition: the tests' subjects never need more). */
  readonly records: readonly PositionedEvent[];
}

/** In-memory stand-ins answer at once, but as promises that settle later (a throw becomes a rejection),
 *  like the stores they stand in for. */
export const answer = <T>(f: () => T): Promise<T> => Promise.resolve().then(f);

export function memoryLedger(): MemoryLedger {
  const records: PositionedEvent[] = [];
  const receipts = new Map<string, { contentHash: string; written?: StoredReceipt }>();

  const writer = {
    appendAll(events: readonly LedgerEvent[]): Promise<LedgerPosition[]> {
      return answer(() =>
        events.map((event) => {
          const parsed = parseEvent(JSON.parse(JSON.stringify(event)));
          if (!parsed.ok) {
            const problems = parsed.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
            throw ApplicationFailure.nonRetryable(
              `the ledger refuses ${event.type} ${event.id}: ${problems}`,
              'Invalid',
            );
          }
          const offset = String(records.length);
          records.push({ event: parsed.event, position: { partition: 0, offset } });
          const hash = createHash('sha256').update(canonicalBytes(parsed.event)).digest('hex');
          return {
            eventId: event.id,
            topic: TOPICS.ledger,
            partition: 0,
            offset,
            hash,
            recordedAt: event.recordedtime,
          };
        }),
      );
    },
  } satisfies Pick<LedgerWriter, 'appendAll'>;

  const store = {
    claimAll(items: readonly { eventId: string; contentHash: string }[]): Promise<Claim[]> {
      return answer(() =>
        items.map((item): Claim => {
          const known = receipts.get(item.eventId);
          if (!known) {
            receipts.set(item.eventId, { contentHash: item.contentHash });
            return { kind: 'claimed' };
          }
          if (known.contentHash !== item.contentHash) return { kind: 'conflict' };
          return known.written ? { kind: 'written', ...known.written } : { kind: 'in-flight' };
        }),
      );
    },
    complete(written: readonly StoredReceipt[]): Promise<void> {
      return answer(() => {
        for (const w of written) receipts.set(w.event.id, { contentHash: contentHash(w.event), written: w });
      });
    },
    release(eventIds: readonly string[]): Promise<void> {
      return answer(() => {
        for (const id of eventIds) if (!receipts.get(id)?.written) receipts.delete(id);
      });
    },
    waitWritten(eventId: string): Promise<StoredReceipt | undefined> {
      return answer(() => receipts.get(eventId)?.written);
    },
  } satisfies Pick<ReceiptStore, 'claimAll' | 'complete' | 'release' | 'waitWritten'>;

  const projection: MemoryLedger['projection'] = {
    subject: (subject) =>
      answer(() => {
        const own = records.filter((r) => r.event.subject === subject && isSubjectEvent(r.event));
        return own.length > 0 ? foldEvents(own) : undefined;
      }),
    dataUser: (id) =>
      answer(() => {
        let state: DataUserRecord | undefined;
        for (const { event } of records)
          if (isDataUserEvent(event) && event.data.dataUserId === id) state = evolveDataUser(state, event);
        return state;
      }),
    waitForOffset: (_partition, offset) => answer(() => BigInt(offset) < BigInt(records.length)),
  };

  // appendOnce uses only the methods checked above; LedgerAppender names the classes, whose private
  // members make them nominal, hence the one cast.
  const appender = { writer, receipts: store } as unknown as LedgerAppender;
  return { appender, projection, records };
}
