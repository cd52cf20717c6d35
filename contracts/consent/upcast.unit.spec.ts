// The upcast mechanism. Production has only version 1 of every type, so the chain is exercised on
// a synthetic, test-only event type ("demo.noted"); no production version is invented.
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION, EVENT_TYPES, type EventType } from './events.js';
import { EXAMPLE_EVENTS } from './examples.js';
import { UPCASTERS, createUpcaster, missingUpcasters, upcastData, type UpcastTable } from './upcast.js';
import { parseEvent } from './validate.js';

// demo.noted v1: one purpose;  v2: a list of purposes;  v3: adds a capture channel.
const V1 = z.strictObject({ occurredAt: z.string(), purpose: z.string() });
const V2 = z.strictObject({ occurredAt: z.string(), purposes: z.array(z.string()) });
const table: UpcastTable<'demo.noted'> = {
  'demo.noted': {
    1: { data: V1, up: (d: z.infer<typeof V1>) => ({ occurredAt: d.occurredAt, purposes: [d.purpose] }) },
    2: { data: V2, up: (d: z.infer<typeof V2>) => ({ ...d, channel: 'paper' }) },
  },
};
const current = { 'demo.noted': 3 } as const;
const upcast = createUpcaster(table, current);

describe('createUpcaster (synthetic demo.noted, v1 → v3)', () => {
  it('chains every step from the written version to the current one', () => {
    expect(upcast('demo.noted', 1, { occurredAt: 't', purpose: 'research' })).toEqual({
      ok: true,
      version: 3,
      data: { occurredAt: 't', purposes: ['research'], channel: 'paper' },
    });
  });

  it('starts from the written version', () => {
    expect(upcast('demo.noted', 2, { occurredAt: 't', purposes: ['a', 'b'] })).toEqual({
      ok: true,
      version: 3,
      data: { occurredAt: 't', purposes: ['a', 'b'], channel: 'paper' },
    });
  });

  it('leaves a current payload untouched', () => {
    const data = { occurredAt: 't', purposes: [], channel: 'web' };
    expect(upcast('demo.noted', 3, data)).toEqual({ ok: true, version: 3, data });
  });

  it('validates the old payload against its frozen schema and names the field', () => {
    expect(upcast('demo.noted', 1, { occurredAt: 't', purpose: 7 })).toEqual({
      ok: false,
      problems: [{ field: '/data/purpose', message: expect.any(String) }],
    });
  });

  it('reports a missing step at /dataversion instead of guessing', () => {
    const gap = createUpcaster({ 'demo.noted': { 2: table['demo.noted']![2]! } }, current);
    expect(gap('demo.noted', 1, {})).toEqual({
      ok: false,
      problems: [{ field: '/dataversion', message: 'no upcaster from version 1' }],
    });
    expect(missingUpcasters({ 'demo.noted': {} }, current)).toEqual(['demo.noted@1', 'demo.noted@2']);
  });
});

describe('production upcast table', () => {
  it('has a step for every version below current (today: none needed)', () => {
    expect(missingUpcasters(UPCASTERS, CURRENT_VERSION)).toEqual([]);
  });

  it('version 2 of the choices a hospital records (expressedBy) and of revocation.acknowledged (attestation)', () => {
    const at2 = EVENT_TYPES.filter((t) => CURRENT_VERSION[t] === 2);
    expect(at2).toEqual([
      'consent.given',
      'consent.reconfirmed',
      'consent.cancelled',
      'consent.withdrawn',
      'optout.registered',
      'optout.revoked',
      'revocation.acknowledged',
    ]);
    expect(EVENT_TYPES.filter((t) => !at2.includes(t)).every((t) => CURRENT_VERSION[t] === 1)).toBe(true);
  });

  it('passes current payloads through, and parseEvent reports the written version', () => {
    const e = EXAMPLE_EVENTS['consent.given'];
    expect(upcastData('consent.given', 2, e.data)).toEqual({ ok: true, version: 2, data: e.data });
    expect(parseEvent(structuredClone(e))).toMatchObject({ ok: true, writtenVersion: 2 });
  });

  /** A version-1 event as it was written before dataversion 2: `data` without the new field. */
  const v1 = <T extends EventType>(type: T, drop: string) => {
    const { [drop]: _dropped, ...data } = structuredClone(EXAMPLE_EVENTS[type]).data as Record<string, unknown>;
    return { ...structuredClone(EXAMPLE_EVENTS[type]), dataversion: 1, data };
  };

  it.each([
    'consent.given',
    'consent.reconfirmed',
    'consent.cancelled',
    'consent.withdrawn',
    'optout.registered',
    'optout.revoked',
  ] as const)('a version-1 %s is read as the person’s own choice', (type) => {
    const parsed = parseEvent(v1(type, 'expressedBy'));
    expect(parsed).toMatchObject({ ok: true, writtenVersion: 1, event: { dataversion: 2 } });
    if (parsed.ok) expect(parsed.event.data).toEqual(EXAMPLE_EVENTS[type].data); // the example is the person's
  });

  it('a version-1 revocation.acknowledged is read as acknowledged, not attested (attestation null)', () => {
    const parsed = parseEvent(v1('revocation.acknowledged', 'attestation'));
    expect(parsed).toMatchObject({ ok: true, writtenVersion: 1, event: { dataversion: 2 } });
    if (parsed.ok) expect(parsed.event.data).toMatchObject({ attestation: null });
  });

  it('a version-1 payload is checked against its frozen schema: v1 had no expressedBy', () => {
    const e = { ...structuredClone(EXAMPLE_EVENTS['consent.given']), dataversion: 1 };
    expect(parseEvent(e)).toMatchObject({ ok: false, problems: [{ field: '/data/expressedBy' }] });
  });
});

describe('upcastEnvelope: records written before time meant the occurrence', () => {
  // What the first build wrote: `time` was the recording time; no recordedtime, no dataschema.
  const legacy = () => {
    const { recordedtime, dataschema: _s, ...rest } = structuredClone(EXAMPLE_EVENTS['consent.given']);
    return { ...rest, time: recordedtime };
  };
  it('reads the old time as recordedtime and the occurrence as time', () => {
    expect(parseEvent(legacy())).toEqual({
      ok: true,
      event: EXAMPLE_EVENTS['consent.given'],
      writtenVersion: EXAMPLE_EVENTS['consent.given'].dataversion,
    });
  });
  it('keeps every type of old record readable', () => {
    for (const type of EVENT_TYPES) {
      const { recordedtime, dataschema: _s, ...rest } = structuredClone(EXAMPLE_EVENTS[type]);
      expect(parseEvent({ ...rest, time: recordedtime })).toEqual({
        ok: true,
        event: EXAMPLE_EVENTS[type],
        writtenVersion: EXAMPLE_EVENTS[type].dataversion,
      });
    }
  });
  it('does not take a current record with a missing recordedtime for an old one', () => {
    const { recordedtime: _r, ...rest } = structuredClone(EXAMPLE_EVENTS['consent.given']);
    const r = parseEvent(rest);
    expect(r.ok ? [] : r.problems.map((p) => p.field)).toEqual(['/recordedtime']);
  });
});
