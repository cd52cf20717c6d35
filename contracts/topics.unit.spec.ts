import { describe, expect, it } from 'vitest';
import { EXAMPLE_EVENTS } from './consent/examples.js';
import { CE_HEADERS, STRUCTURED_CONTENT_TYPE, TOPICS, TOPIC_KEYS, cloudEventHeaders, ledgerKey } from './topics.js';

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

  it('keys ledger records by subject and copies the CloudEvents attributes into ce_ headers', () => {
    const e = EXAMPLE_EVENTS['consent.given'];
    expect(ledgerKey(e)).toBe(e.subject);
    expect(cloudEventHeaders(e)).toEqual({
      ce_id: e.id,
      ce_source: 'org:rxh',
      ce_type: 'consent.given',
      ce_specversion: '1.0',
      ce_subject: e.subject,
      ce_time: e.time,
      ce_dataversion: '2',
      [CE_HEADERS.contentType]: STRUCTURED_CONTENT_TYPE,
    });
  });
});
