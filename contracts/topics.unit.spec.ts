import { describe, expect, it } from 'vitest';
import { EXAMPLE_EVENTS } from './consent/examples.js';
import { STRUCTURED_CONTENT_TYPE, TOPICS, TOPIC_KEYS, ledgerKey, structuredModeHeaders } from './topics.js';

describe('topics', () => {
  it('names every topic with a .v1 suffix and documents its key', () => {
    expect(Object.values(TOPICS)).toEqual([
      'consent.ledger.v1',
      'consent.revocations.v1',
      'consent.decisions.v1',
      'consent.checkpoints.v1',
      'consent.deadletter.v1',
    ]);
    expect(Object.keys(TOPIC_KEYS)).toEqual(Object.keys(TOPICS));
  });

  it('keys ledger records by subject; the only binding header is the structured content type', () => {
    const e = EXAMPLE_EVENTS['consent.given'];
    expect(ledgerKey(e)).toBe(e.subject);
    // No ce_* header: a decoder that detects binary mode by them would misread the record.
    expect(structuredModeHeaders()).toEqual({ 'content-type': STRUCTURED_CONTENT_TYPE });
    expect(STRUCTURED_CONTENT_TYPE.startsWith('application/cloudevents+json')).toBe(true);
  });
});
