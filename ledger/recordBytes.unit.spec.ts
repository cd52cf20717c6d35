import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalJson } from '../contracts/consent/canonical.js';
import { EXAMPLE_EVENTS } from '../contracts/consent/examples.js';
import { INCOMING_EVENT_TYPES } from '../contracts/consent/events.js';
import { isValidatedEvent, parseIncomingEvent, recordIncoming } from '../contracts/consent/validate.js';
import { contentHashOf, madeRecordBytes, recordBytes } from './recordBytes.js';

/** The ledger event ingest builds for the example of `type` (validated and frozen by recordIncoming). */
function recorded(type: (typeof INCOMING_EVENT_TYPES)[number]) {
  const { time: _t, recordedtime: _r, dataschema: _s, datacontenttype: _c, ...submission } = EXAMPLE_EVENTS[type];
  const parsed = parseIncomingEvent(structuredClone(submission));
  if (!parsed.ok) throw new Error('fixture invalid');
  const r = recordIncoming(parsed.event, {
    subject: submission.subject,
    recordedtime: EXAMPLE_EVENTS[type].recordedtime,
  });
  if (!r.ok || !isValidatedEvent(r.event)) throw new Error('not recorded');
  return r.event;
}

describe('record bytes and content hash', () => {
  it.each(INCOMING_EVENT_TYPES)('of a validated %s equal those serialised from a plain copy', (type) => {
    const event = recorded(type);
    const copy = structuredClone(event); // not validated: serialised the long way
    expect(madeRecordBytes(event)).toBeUndefined(); // made when first asked for, then kept
    const hash = contentHashOf(event);
    expect(madeRecordBytes(event)).toEqual(canonicalBytes(copy));
    expect(recordBytes(event)).toEqual(recordBytes(copy));
    expect(recordBytes(event).toString('utf8')).toBe(canonicalJson(copy));
    expect(hash).toBe(contentHashOf(copy));
    const { time: _t, recordedtime: _r, dataschema: _s, ...content } = copy;
    expect(hash).toBe(createHash('sha256').update(canonicalJson(content)).digest('hex'));
    expect(madeRecordBytes(copy)).toBeUndefined();
  });
});
