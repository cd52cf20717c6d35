// What ingest makes of each event it writes: the record's bytes (canonical JSON: what the writer puts on
// Kafka and hashes), the content hash of its claim (ledger/receipts.ts#contentHash: the canonical JSON
// without what the ledger derives or sets) and the receipt's copy of the event. For an event
// recordIncoming validated (deep-frozen: it cannot change) the bytes and the content hash come from one
// serialisation, made as the event is claimed and kept while it lives; any other event is serialised
// where each is needed.
import { createHash } from 'node:crypto';
import { canonicalJson, canonicalJsonWithout } from '../contracts/consent/canonical.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { isValidatedEvent } from '../contracts/consent/validate.js';

/** Left out of an event's content: derived from data (`time`, `dataschema`) or set on recording. */
const NOT_CONTENT: ReadonlySet<string> = new Set(['time', 'recordedtime', 'dataschema']);

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

interface Made {
  bytes: Buffer;
  contentHash: string;
}
// Only the bytes and the hash are kept: the texts are ropes of every member's pieces, and holding them
// across the claim's round trip made the young generation copy them (GC went from 23 to 27 % of a batch).
const made = new WeakMap<LedgerEvent, Made>();

function madeOnce(event: LedgerEvent): Made | undefined {
  if (!isValidatedEvent(event)) return undefined;
  let m = made.get(event);
  if (m === undefined) {
    const { whole, without } = canonicalJsonWithout(event, NOT_CONTENT);
    m = { bytes: Buffer.from(whole, 'utf8'), contentHash: sha256(without) };
    made.set(event, m);
  }
  return m;
}

/** UTF-8 bytes of canonicalJson(event): the ledger record's value. */
export function recordBytes(event: LedgerEvent): Buffer {
  return madeOnce(event)?.bytes ?? Buffer.from(canonicalJson(event), 'utf8');
}

/**
 * The identity of a submission for idempotency: sha256 (hex) of canonicalJson of the event without what
 * the ledger derives or sets (the recording time; `time` and `dataschema` follow from data.occurredAt
 * and type/dataversion). Left out so that claims stored before those attributes existed still match
 * their retries. An event is claimed and its receipt completed with the same object, so it is hashed once.
 */
export function contentHashOf(event: LedgerEvent): string {
  const known = madeOnce(event);
  if (known) return known.contentHash;
  let hash = otherContentHashes.get(event);
  if (hash === undefined) {
    const { time: _t, recordedtime: _r, dataschema: _s, ...content } = event;
    hash = sha256(canonicalJson(content));
    otherContentHashes.set(event, hash);
  }
  return hash;
}
// Events not built by recordIncoming (workflow activities, the registry): not frozen, but not mutated once built.
const otherContentHashes = new WeakMap<LedgerEvent, string>();

/** The record's bytes when they were already made (a validated event on its way to the ledger). */
export const madeRecordBytes = (event: LedgerEvent): Buffer | undefined =>
  isValidatedEvent(event) ? made.get(event)?.bytes : undefined;

/** The event's JSON text for a receipt: the record's bytes when they were made, else JSON.stringify. */
export const eventJson = (event: LedgerEvent): string =>
  madeRecordBytes(event)?.toString('utf8') ?? JSON.stringify(event);
