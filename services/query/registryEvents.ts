// Ledger events written by the query service itself (data-user registry, release records), with
// deterministic ids so that a retry can never write a second logical event.
//
// occurredAt is part of an event's content (and of its idempotency hash), so a retry must reuse the
// first attempt's: if the first id of a request is already recorded, its occurredAt is taken again.
import type { EventOf, EventType, LedgerEvent } from '../../contracts/consent/events.js';
import { DATA_CONTENT_TYPE } from '../../contracts/consent/events.js';
import { appendOnce, type Appended, type LedgerAppender } from '../../ledger/appendOnce.js';

export const REGISTRY_SOURCE = 'sys:registry';
/** Events per appendOnce call: one receipt-store batch and one Kafka send each. */
const CHUNK = 1000;

export function systemEvent<T extends EventType>(
  type: T,
  id: string,
  subject: string,
  source: string,
  time: string,
  data: EventOf<T>['data'],
): EventOf<T> {
  return {
    specversion: '1.0',
    id,
    source,
    type,
    subject,
    time,
    datacontenttype: DATA_CONTENT_TYPE,
    dataversion: 1,
    data,
  } as unknown as EventOf<T>;
}

/** The occurredAt to use for a request whose first event has id `firstId`: a retry derives what its
 *  first attempt did, even when that attempt's instance was killed before recording the receipt (a new
 *  time would make the retry other content under the same id: a 409 instead of its replay). */
export async function occurredAtFor(deps: LedgerAppender, firstId: string, fallback: string): Promise<string> {
  return (await deps.receipts.claimedOccurredAt(firstId)) ?? fallback;
}

export async function appendChunked(deps: LedgerAppender, events: readonly LedgerEvent[]): Promise<Appended[]> {
  const out: Appended[] = [];
  for (let i = 0; i < events.length; i += CHUNK) out.push(...(await appendOnce(deps, events.slice(i, i + CHUNK))));
  return out;
}

export const positionOf = (a: Appended) => ({
  eventId: a.position.eventId,
  ledger: { topic: a.position.topic, partition: a.position.partition, offset: a.position.offset },
  replayed: a.replayed,
});
