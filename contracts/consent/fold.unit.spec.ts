// evolve / foldEvents / stateAsOf: given events (in ledger order) → then the subject's facts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { EXAMPLE_EVENTS } from './examples.js';
import { LedgerEventSchema, type LedgerEvent } from './events.js';
import {
  SUBJECT,
  cancelled,
  day,
  effective,
  expired,
  given,
  lapsed,
  ledger,
  optOut,
  optOutRevoked,
  reconfirmed,
  revocationAcknowledged,
  revocationOverdue,
  revocationSent,
  scope,
  withdrawalCompleted,
  withdrawn,
} from './fixtures.js';
import {
  EMPTY_STATE,
  FoldError,
  evolve,
  foldEvents,
  hasApplied,
  stateAsOf,
  type ConsentFact,
  type Fact,
  type SubjectState,
} from './fold.js';
import { recordedUnder, arbLedger, arbNow, arbPolicy, arbRequest } from './ledger.arbitrary.js';
import type { PositionedEvent } from './order.js';

const fold = (...events: LedgerEvent[]) => foldEvents(ledger(...events));
const consent = (s: SubjectState, id: string) =>
  s.facts.find((f): f is ConsentFact => f.kind === 'consent' && f.eventId === id)!;
const summary = (s: SubjectState) =>
  s.facts.map(
    (f: Fact) =>
      `${f.kind}:${f.eventId}:${f.kind === 'consent' ? f.status : f.kind === 'opt-out' ? (f.revoked ? 'revoked' : 'active') : 'in-force'}`,
  );

const RESEARCH = scope({ purposes: ['research'] });
const COMMERCIAL = scope({ dataUserCategories: ['commercial'] });
const NHS_ACADEMIC = scope({ dataUserCategories: ['nhs', 'academic'] });

describe('consent lifecycle: given events → then status', () => {
  const cases: { name: string; given: LedgerEvent[]; then: string }[] = [
    { name: 'given: pending (cooling-off)', given: [given('c1', 1)], then: 'cooling-off' },
    { name: 'remote capture is routine: pending', given: [given('c1', 1, { setting: 'remote' })], then: 'cooling-off' },
    { name: 'given + effective: effective', given: [given('c1', 1), effective('c1', 15)], then: 'effective' },
    {
      name: 'acute: awaiting reconfirmation',
      given: [given('c1', 1, { setting: 'acute' })],
      then: 'awaiting-reconfirmation',
    },
    {
      name: 'emergency: awaiting reconfirmation',
      given: [given('c1', 1, { setting: 'emergency' })],
      then: 'awaiting-reconfirmation',
    },
    {
      name: 'acute + reconfirmed: awaiting reconfirmation until the workflow writes effective (whether it counts is the policy’s)',
      given: [given('c1', 1, { setting: 'acute' }), reconfirmed('c1', 30)],
      then: 'awaiting-reconfirmation',
    },
    {
      name: 'acute + reconfirmed + effective: effective',
      given: [given('c1', 1, { setting: 'acute' }), reconfirmed('c1', 30), effective('c1', 30.1)],
      then: 'effective',
    },
    {
      name: 'acute + effective without reconfirmation: the ledger is trusted',
      given: [given('c1', 1, { setting: 'acute' }), effective('c1', 29)],
      then: 'effective',
    },
    { name: 'cancelled in cooling-off', given: [given('c1', 1), cancelled('c1', 5)], then: 'cancelled' },
    {
      name: 'cancelled (recorded late) beats an effective written meanwhile',
      given: [given('c1', 1), effective('c1', 15), cancelled('c1', 10, { recordedAt: 20 })],
      then: 'cancelled',
    },
    {
      name: 'cancelled after effective: still cancelled (fail closed)',
      given: [given('c1', 1), effective('c1', 15), cancelled('c1', 16)],
      then: 'cancelled',
    },
    {
      name: 'lapsed: acute never reconfirmed',
      given: [given('c1', 1, { setting: 'acute' }), lapsed('c1', 59)],
      then: 'lapsed',
    },
    {
      name: 'expired by event',
      given: [given('c1', 1, { validUntil: 30 }), effective('c1', 15), expired('c1', 30)],
      then: 'expired',
    },
    {
      name: 'two terminal events: the first in occurredAt order names it',
      given: [given('c1', 1), lapsed('c1', 9), cancelled('c1', 5, { recordedAt: 12 })],
      then: 'cancelled',
    },
    {
      name: 'a second effective event changes nothing',
      given: [given('c1', 1), effective('c1', 15), effective('c1', 16, { id: 'dup-eff' })],
      then: 'effective',
    },
  ];
  it.each(cases)('$name', ({ given: events, then }) => {
    expect(consent(fold(...events), 'c1').status).toBe(then);
  });

  it('keeps what decide needs: scope, capture, validUntil, the events that changed it', () => {
    const s = fold(
      given('c1', 1, { setting: 'acute', validUntil: 400, scope: RESEARCH }),
      reconfirmed('c1', 30),
      effective('c1', 30.5),
    );
    expect(consent(s, 'c1')).toEqual({
      kind: 'consent',
      eventId: 'c1',
      occurredAt: day(1),
      recordedAt: day(1),
      position: { partition: 0, offset: '0' },
      scope: RESEARCH,
      capture: { channel: 'in-person', setting: 'acute' },
      policyVersion: '2026-01',
      validUntil: day(400),
      requiresReconfirmation: true,
      status: 'effective',
      withdrawnBy: [],
      reconfirmations: [{ eventId: 'c1.reconfirmed', occurredAt: day(30), position: { partition: 0, offset: '1' } }],
      effective: { eventId: 'c1.effective', occurredAt: day(30.5) },
    });
  });
});

describe('withdrawals and opt-outs', () => {
  it('a withdrawal is a fact of its own; it marks the earlier consents whose scope it overlaps', () => {
    const s = fold(
      given('c-all', 1),
      given('c-nhs', 2, { scope: NHS_ACADEMIC }),
      withdrawn('w1', 20, { scope: COMMERCIAL, consentId: 'c-nhs' }),
      given('c-later', 30),
    );
    expect(summary(s)).toEqual([
      'consent:c-all:cooling-off',
      'consent:c-nhs:cooling-off',
      'withdrawal:w1:in-force',
      'consent:c-later:cooling-off',
    ]);
    expect(consent(s, 'c-all').withdrawnBy).toEqual(['w1']);
    expect(consent(s, 'c-nhs').withdrawnBy).toEqual([]); // named, but no overlap: the scope decides
    expect(consent(s, 'c-later').withdrawnBy).toEqual([]); // later consents are not withdrawn
    expect(s.facts[2]).toMatchObject({ kind: 'withdrawal', consentId: 'c-nhs', scope: COMMERCIAL });
  });

  it('opt-out: active until revoked by optOutId; national flag kept', () => {
    const s = fold(optOut('o1', 1, { scope: RESEARCH }), optOut('n1', 2, { national: true }), optOutRevoked('o1', 10));
    expect(summary(s)).toEqual(['opt-out:o1:revoked', 'opt-out:n1:active']);
    expect(s.facts[0]).toMatchObject({ national: false, revoked: { eventId: 'o1.revoked', occurredAt: day(10) } });
    expect(s.facts[1]).toMatchObject({ national: true });
  });

  it('propagation outcomes are kept on the withdrawal (for timeline and audit)', () => {
    const s = fold(
      withdrawn('w1', 1),
      revocationSent('w1', 'du_uni', 1.1),
      revocationSent('w1', 'du_corp', 1.1),
      revocationOverdue('w1', 'du_corp', 31.1),
      revocationAcknowledged('w1', 'du_uni', 3),
      revocationAcknowledged('w1', 'du_corp', 33),
      withdrawalCompleted('w1', ['du_uni', 'du_corp'], 33.1),
    );
    expect(s.facts[0]).toMatchObject({
      propagation: {
        notified: ['du_uni', 'du_corp'],
        acknowledged: ['du_uni', 'du_corp'],
        overdue: ['du_corp'],
        completed: { eventId: 'w1.completed', occurredAt: day(33.1) },
      },
    });
  });

  it('status events whose target is unknown (or of another kind) are listed as unresolved', () => {
    const s = fold(effective('nope', 1), optOutRevoked('c1', 3), given('c1', 2), revocationSent('c1', 'du_uni', 4));
    expect(s.unresolved).toEqual(['nope.effective', 'c1.revoked', 'c1.sent.du_uni']);
    expect(consent(s, 'c1').status).toBe('cooling-off');
  });

  it('a status event applies to its target even if it sorts before it (skewed clocks)', () => {
    const s = fold(given('c1', 10), effective('c1', 9.99));
    expect(consent(s, 'c1').status).toBe('effective');
    expect(s.unresolved).toEqual([]);
  });
});

describe('order: occurredAt, then ledger position', () => {
  it('late arrival: a paper withdrawal recorded after a later consent sorts where it occurred', () => {
    const s = fold(given('c1', 30), effective('c1', 44), withdrawn('w-paper', 20, { recordedAt: 70 }));
    expect(summary(s)).toEqual(['withdrawal:w-paper:in-force', 'consent:c1:effective']);
    expect(s.records.map((r) => r.event.id)).toEqual(['w-paper', 'c1', 'c1.effective']);
  });

  it('equal occurredAt: ledger order decides, offsets compared as numbers', () => {
    const events = [given('c1', 5), withdrawn('w1', 5)];
    const at = (partition: number, offset: string) => ({ partition, offset });
    const s1 = foldEvents([
      { event: events[0]!, position: at(0, '10') },
      { event: events[1]!, position: at(0, '9') },
    ]);
    expect(s1.facts.map((f) => f.eventId)).toEqual(['w1', 'c1']);
    const s2 = foldEvents([
      { event: events[1]!, position: at(0, '11') },
      { event: events[0]!, position: at(0, '9') },
    ]);
    expect(s2.facts.map((f) => f.eventId)).toEqual(['c1', 'w1']);
  });

  it('incremental evolve in any arrival order equals the batch fold', () => {
    const records = ledger(given('c1', 1), withdrawn('w1', 0.5, { recordedAt: 3 }), effective('c1', 15));
    const incremental = [records[2]!, records[0]!, records[1]!].reduce(
      (s, r) => evolve(s, r.event, r.position),
      EMPTY_STATE,
    );
    expect(incremental).toEqual(foldEvents(records));
  });
});

describe('idempotency: the logical ledger holds each event once', () => {
  const records = ledger(given('c1', 1), effective('c1', 15), withdrawn('w1', 20));

  it('the same event again is a no-op (the same state object)', () => {
    const s = foldEvents(records);
    expect(evolve(s, records[1]!.event, records[1]!.position)).toBe(s);
    expect(hasApplied(s, 'c1.effective')).toBe(true);
    expect(hasApplied(s, 'c2')).toBe(false);
  });

  it('a later physical copy is ignored; an earlier one replaces it (the first copy is the logical event)', () => {
    const s = foldEvents(records);
    const copy = (offset: string) => ({ event: records[0]!.event, position: { partition: 0, offset } });
    expect(evolve(s, copy('7').event, copy('7').position)).toBe(s);
    const copyFirst = foldEvents([copy('7'), ...records]); // the copy at offset 7 arrived before offset 0
    expect(copyFirst).toEqual(s);
    expect(copyFirst.records[0]!.position.offset).toBe('0');
    expect(copyFirst.records).toHaveLength(3);
  });
});

describe('boundaries', () => {
  it('starts empty; the subject is taken from the first event', () => {
    expect(foldEvents([])).toEqual({ records: [], facts: [], unresolved: [], releases: [] });
    expect(fold(given('c1', 1)).subject).toBe(SUBJECT);
  });

  it('ignores dataUser.* events (they belong to a data user, not a subject)', () => {
    const s = fold(given('c1', 1));
    expect(evolve(s, EXAMPLE_EVENTS['dataUser.registered'], { partition: 0, offset: '5' })).toBe(s);
    expect(evolve(s, EXAMPLE_EVENTS['dataUser.approved'], { partition: 0, offset: '6' })).toBe(s);
  });

  it('refuses an event of another subject', () => {
    const s = fold(given('c1', 1));
    const other = given('c2', 2, { subject: 'sub_AnotherSubject000001' });
    expect(() => evolve(s, other, { partition: 0, offset: '1' })).toThrow(FoldError);
  });

  it('the state is plain data (a projection can store it and read it back)', () => {
    const s = fold(
      given('c1', 1, { validUntil: 90 }),
      effective('c1', 15),
      withdrawn('w1', 20),
      revocationSent('w1', 'du_uni', 20.1),
    );
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  it('every fixture builds a schema-valid ledger event', () => {
    const all = [
      given('c1', 1, { validUntil: 9, setting: 'acute' }),
      effective('c1', 2),
      reconfirmed('c1', 2),
      cancelled('c1', 2),
      lapsed('c1', 2),
      expired('c1', 9),
      withdrawn('w1', 3, { consentId: 'c1', scope: RESEARCH }),
      optOut('o1', 4, { national: true }),
      optOutRevoked('o1', 5),
      revocationSent('w1', 'du_uni', 3),
      revocationAcknowledged('w1', 'du_uni', 4),
      revocationOverdue('w1', 'du_uni', 40),
      withdrawalCompleted('w1', ['du_uni'], 41),
    ];
    for (const e of all) expect(LedgerEventSchema.safeParse(e).error).toBeUndefined();
  });
});

describe('stateAsOf: what the system had recorded at T', () => {
  const records = ledger(
    given('c1', 1),
    effective('c1', 15),
    withdrawn('w-paper', 20, { recordedAt: 70 }), // occurred day 20, keyed in on day 70
  );
  const cases: { asOf: number; then: string[] }[] = [
    { asOf: 0, then: [] },
    { asOf: 1, then: ['consent:c1:cooling-off'] }, // inclusive
    { asOf: 14, then: ['consent:c1:cooling-off'] },
    { asOf: 15, then: ['consent:c1:effective'] },
    { asOf: 69, then: ['consent:c1:effective'] }, // the withdrawal had occurred, but nobody knew
    { asOf: 70, then: ['consent:c1:effective', 'withdrawal:w-paper:in-force'] },
  ];
  it.each(cases)('as of day $asOf', ({ asOf, then }) => {
    expect(summary(stateAsOf(records, day(asOf)))).toEqual(then);
  });
});

describe('properties', () => {
  const permutation = <T>(items: readonly T[]) =>
    fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length });
  const withPermutation = arbLedger.chain((records) => fc.tuple(fc.constant(records), permutation(records)));

  it('(a) any arrival order folds to the same state and the same decisions', () => {
    fc.assert(
      fc.property(withPermutation, arbRequest, arbPolicy, arbNow, ([records, shuffled], request, policy, now) => {
        const a = foldEvents(records);
        const b = foldEvents(shuffled);
        expect(b).toEqual(a);
        expect(decide(b, request, recordedUnder(policy), now)).toEqual(decide(a, request, recordedUnder(policy), now));
      }),
    );
  });

  it('(a) physical duplicates at later offsets, in any arrival order, change nothing', () => {
    const withCopies = arbLedger.chain((records) =>
      fc.tuple(
        fc.constant(records),
        fc.subarray(records).chain((copies) => {
          const later: PositionedEvent[] = copies.map((r, i) => ({
            event: r.event,
            position: { partition: 0, offset: String(records.length + i) },
          }));
          return permutation([...records, ...later]);
        }),
      ),
    );
    fc.assert(
      fc.property(withCopies, ([records, arrival]) => {
        expect(foldEvents(arrival)).toEqual(foldEvents(records));
      }),
    );
  });

  it('(b) applying any event a second time changes nothing', () => {
    fc.assert(
      fc.property(arbLedger, fc.nat(), (records, k) => {
        const s = foldEvents(records);
        if (records.length === 0) return;
        const r = records[k % records.length]!;
        expect(evolve(s, r.event, r.position)).toBe(s);
        expect(foldEvents([...records, ...records])).toEqual(s);
      }),
    );
  });

  it('stateAsOf the latest recording time is the full fold; facts follow the records in order', () => {
    fc.assert(
      fc.property(arbLedger, (records) => {
        const s = foldEvents(records);
        expect(stateAsOf(records, day(1000))).toEqual(s);
        const ids = new Set(s.records.map((r) => r.event.id));
        expect(ids.size).toBe(s.records.length);
        const factOrder = s.records.map((r) => r.event.id).filter((id) => s.facts.some((f) => f.eventId === id));
        expect(s.facts.map((f) => f.eventId)).toEqual(factOrder);
      }),
    );
  });
});
