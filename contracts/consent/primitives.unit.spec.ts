import { describe, expect, it } from 'vitest';
import { SUBJECT_ID_PATTERN, compareUtc, isUtcTimestamp, utcMillis } from './primitives.js';

describe('UTC timestamps', () => {
  it.each(['2026-03-01T09:30:00Z', '2026-03-01T09:30:00.5Z', '2026-03-01T09:30:00.123456789Z', '2028-02-29T00:00:00Z'])(
    'accepts %s',
    (ts) => expect(isUtcTimestamp(ts)).toBe(true),
  );

  it.each([
    '2026-03-01T09:30Z',
    '2026-03-01T09:30:00',
    '2026-03-01T09:30:00+00:00',
    '2026-02-29T00:00:00Z',
    '2026-03-01 09:30:00Z',
    '2026-03-01T09:30:00.1234567890Z',
    20260301,
  ])('rejects %s', (ts) => expect(isUtcTimestamp(ts)).toBe(false));

  it('compares by instant, not by string (fraction digits differ)', () => {
    // As strings, "…00Z" sorts after "…00.5Z" ('Z' > '.'), which is wrong.
    expect(compareUtc('2026-03-01T09:30:00Z', '2026-03-01T09:30:00.5Z')).toBe(-1);
    expect(compareUtc('2026-03-01T09:30:00.5Z', '2026-03-01T09:30:00.500Z')).toBe(0);
    expect(compareUtc('2026-03-01T09:30:00.000000002Z', '2026-03-01T09:30:00.000000001Z')).toBe(1);
    expect(utcMillis('2026-03-01T09:30:00.123456Z')).toBe(Date.UTC(2026, 2, 1, 9, 30, 0, 123));
  });
});

describe('subject ids', () => {
  it('accept the pseudonym ingest derives (sub_ + 43 base64url chars) and refuse bare numbers', () => {
    expect(SUBJECT_ID_PATTERN.test(`sub_${Buffer.alloc(32, 0xfb).toString('base64url')}`)).toBe(true);
    expect(SUBJECT_ID_PATTERN.test('9434765919')).toBe(false);
    expect(SUBJECT_ID_PATTERN.test('sub_short')).toBe(false);
  });
});
