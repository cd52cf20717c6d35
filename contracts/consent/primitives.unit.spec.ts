import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SUBJECT_ID_PATTERN, UtcTimestampSchema, compareUtc, isUtcTimestamp, utcMillis } from './primitives.js';

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

  it('agrees with UtcTimestampSchema on near-timestamps and on anything else', () => {
    // Timestamps built from parts, each part mostly valid and sometimes one mistake away (month 13, day
    // 30 in February, a 3-digit year, no seconds, an offset, 10 fraction digits, a trailing space).
    const digits = (n: number) =>
      fc.string({
        unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'),
        minLength: n,
        maxLength: n,
      });
    const two = (min: number, max: number) => fc.integer({ min, max }).map((v) => String(v).padStart(2, '0'));
    const mostly = <T>(valid: fc.Arbitrary<T>, loose: fc.Arbitrary<T>) =>
      fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: loose });
    const nearTimestamp = fc
      .tuple(
        mostly(digits(4), digits(3)),
        mostly(fc.constant('-'), fc.constantFrom('/', '')),
        mostly(two(1, 12), fc.oneof(digits(2), digits(1))),
        mostly(two(1, 31), digits(2)),
        mostly(fc.constant('T'), fc.constantFrom(' ', 't')),
        mostly(two(0, 23), digits(2)),
        mostly(two(0, 59), digits(2)),
        mostly(fc.constant(':'), fc.constant('')),
        mostly(two(0, 59), digits(2)),
        fc.oneof(
          fc.constant(''),
          fc.integer({ min: 0, max: 11 }).chain((k) => digits(k).map((d) => `.${d}`)),
        ),
        mostly(fc.constant('Z'), fc.constantFrom('z', '', '+00:00', 'Z ', ' Z')),
      )
      .map(([y, s, m, d, t, h, mi, c, sec, frac, z]) => `${y}${s}${m}-${d}${t}${h}:${mi}${c}${sec}${frac}${z}`);
    const anything = fc.oneof(nearTimestamp, fc.string(), fc.integer(), fc.constant(undefined), fc.constant(null));
    fc.assert(
      fc.property(anything, (v) => {
        expect(isUtcTimestamp(v)).toBe(UtcTimestampSchema.safeParse(v).success);
      }),
      { numRuns: 5000 },
    );
  });

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
