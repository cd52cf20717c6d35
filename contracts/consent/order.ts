// The order a subject's events fold in: by `data.occurredAt` (when the person expressed it), ties
// broken by ledger position. The position travels WITH the event (a PositionedEvent), so the order
// does not depend on the order events happen to be handed to the fold: replaying from offset 0,
// re-delivery after a rebalance and an auditor's replay all produce the same sequence.
import type { LedgerEvent } from './events.js';
import { compareUtc } from './primitives.js';

/** Where a record sits on the ledger (Kafka partition and offset, offset as a decimal string).
 *  ledger/writer.ts's receipt position and ledger/reader.ts's records have these two fields, so
 *  either can be passed as is: `evolve(state, r.event, r)`. */
export interface EventPosition {
  readonly partition: number;
  readonly offset: string;
}

/** An event together with its ledger position. */
export interface PositionedEvent<E extends LedgerEvent = LedgerEvent> {
  readonly event: E;
  readonly position: EventPosition;
}

/** Kafka offsets are non-negative integers without leading zeros: compare by length, then digits. */
function compareOffset(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Ledger order. A subject's events share one partition (keyed by subject); partition first keeps
 *  the order total should a topic ever be re-partitioned. */
export function comparePosition(a: EventPosition, b: EventPosition): number {
  return a.partition - b.partition || compareOffset(a.offset, b.offset);
}

/** Fold order: occurredAt, then ledger position, then event id (only equal for one physical record,
 *  but it keeps the order total for any input). */
export function compareRecords(a: PositionedEvent, b: PositionedEvent): number {
  return (
    compareUtc(a.event.data.occurredAt, b.event.data.occurredAt) ||
    comparePosition(a.position, b.position) ||
    (a.event.id < b.event.id ? -1 : a.event.id > b.event.id ? 1 : 0)
  );
}
