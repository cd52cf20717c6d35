import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CanonicalJsonError, canonicalBytes, canonicalJson, canonicalJsonWithout, eventHash } from './canonical.js';
import { EXAMPLE_EVENTS } from './examples.js';
import { EVENT_TYPES } from './events.js';

/** The same JSON value with every object's keys in a (seeded) random order. */
function shuffleKeys(value: unknown, rnd: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => shuffleKeys(v, rnd));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).map(([k, v]) => [k, shuffleKeys(v, rnd)] as const);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    return Object.fromEntries(entries);
  }
  return value;
}

describe('canonical JSON (RFC 8785)', () => {
  it('sorts keys and drops whitespace', () => {
    expect(canonicalJson({ b: [1, { d: true, c: null }], a: 'x' })).toBe('{"a":"x","b":[1,{"c":null,"d":true}]}');
  });

  it('orders keys by UTF-16 code units (RFC 8785 §3.2.3 example)', () => {
    const obj = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // (JSON.parse would move the integer-like key "1" first, so read the order off the text.)
    const text = canonicalJson(obj);
    const expected = ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33'];
    const positions = expected.map((k) => text.indexOf(`${JSON.stringify(k)}:`));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('serialises numbers as ECMAScript does (RFC 8785 §3.2.2.3)', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1 + 0.2, 333333333.3333333, 100])).toBe(
      '[1e+21,1e-7,0,0.30000000000000004,333333333.3333333,100]',
    );
  });

  it('escapes strings minimally', () => {
    expect(canonicalJson('\u0007\n"\\/é\u2028')).toBe('"\\u0007\\n\\"\\\\/é\u2028"');
  });

  it('omits undefined properties, refuses what is not JSON', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    for (const bad of [Number.NaN, Infinity, [undefined], new Date(0), () => 1, 1n, { a: { b: Symbol('x') } }]) {
      expect(() => canonicalJson(bad)).toThrow(CanonicalJsonError);
    }
  });

  it('is independent of key order (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        let s = seed;
        const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
        expect(canonicalJson(shuffleKeys(value, rnd))).toBe(canonicalJson(value));
      }),
    );
  });

  it('is JSON.stringify of the value with every key list sorted (property, any UTF-16 text)', () => {
    // The reference the fast path (quoting without JSON.stringify, keys already in order) must equal:
    // strings drawn from every code unit, lone surrogates and controls included, as keys and values.
    const reference = (v: unknown): string => {
      if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
      if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        return `{${Object.keys(o)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${reference(o[k])}`)
          .join(',')}}`;
      }
      return JSON.stringify(v);
    };
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
    expect(canonicalJson({ '\ud800': '\udfff\u0000"', b: 'plain' })).toBe(
      '{"b":"plain","\\ud800":"\\udfff\\u0000\\""}',
    );
  });

  it('of an object and of it without some keys, in one pass, equals canonicalJson of each (property)', () => {
    const key = fc.oneof(fc.constantFrom('time', 'recordedtime', 'dataschema', 'data', 'id'), fc.string());
    const object = fc.dictionary(key, fc.oneof(fc.jsonValue(), fc.constant(undefined)));
    fc.assert(
      fc.property(object, fc.uniqueArray(key, { maxLength: 4 }), (obj, omittedKeys) => {
        const omitted = new Set(omittedKeys);
        const kept = Object.fromEntries(Object.entries(obj).filter(([k]) => !omitted.has(k)));
        expect(canonicalJsonWithout(obj, omitted)).toEqual({ whole: canonicalJson(obj), without: canonicalJson(kept) });
      }),
      { numRuns: 500 },
    );
    expect(() => canonicalJsonWithout({ data: { at: new Date(0) } }, new Set(['time']))).toThrow(
      new CanonicalJsonError('not a plain JSON object at /data/at'),
    );
  });

  it('round-trips: parsing canonical text and re-canonicalising is a fixed point', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
      }),
    );
  });
});

describe('eventHash', () => {
  it('is sha256 hex of the canonical bytes', () => {
    expect(eventHash({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    const e = EXAMPLE_EVENTS['consent.withdrawn'];
    expect(eventHash(e)).toBe(createHash('sha256').update(canonicalBytes(e)).digest('hex'));
  });

  it.each(EVENT_TYPES)('%s: same hash whatever the key order, different for any change', (type) => {
    const e = EXAMPLE_EVENTS[type];
    let s = 7;
    const rnd = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
    expect(eventHash(shuffleKeys(e, rnd))).toBe(eventHash(e));
    expect(eventHash({ ...e, id: `${e.id}x` })).not.toBe(eventHash(e));
  });
});
