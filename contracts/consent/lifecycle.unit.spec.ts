// The lifecycle on the default policy (14 / 28 + 30 days, acknowledgement in 30 with reminders 7
// and 1 day before): given a consent / when asked / then the instants. The property at the end
// states the promise: a denial names an effective date only when the workflow will write that date.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from './decide.js';
import { dataUser, day, given, ledger, reconfirmed, SUBJECT } from './fixtures.js';
import { foldEvents } from './fold.js';
import {
  acknowledgementDueBy,
  acknowledgementReminderTimes,
  consentOutlook,
  coolingOffEndsAt,
  holderProgress,
  isAcknowledged,
  isOverdue,
  personReconfirmationReminderTimes,
  personReconfirmationWindow,
  personStanding,
  supersededByPerson,
  type ConsentChoice,
  overdueIfStartedBefore,
  reconfirmationCounts,
  reconfirmationReminderTimes,
  reconfirmationWindow,
  reconsentPromptAt,
  requiresReconfirmation,
  withdrawalProgress,
  type ConsentTerms,
} from './lifecycle.js';
import { DEFAULT_POLICY as P, policySet } from './policy.js';

const routine = { givenAt: day(0), setting: 'routine' as const };
const acute = { givenAt: day(0), setting: 'acute' as const };
const ref = (id: string, at: number) => ({ eventId: id, occurredAt: day(at) });

describe('cooling-off and reconfirmation on the default policy', () => {
  it('acute and emergency capture take the extended rule; routine and remote do not', () => {
    const settings = ['routine', 'remote', 'acute', 'emergency'] as const;
    expect(settings.map(requiresReconfirmation)).toEqual([false, false, true, true]);
    expect(coolingOffEndsAt(day(0), 'routine', P)).toBe(day(14));
    expect(coolingOffEndsAt(day(0), 'emergency', P)).toBe(day(28));
  });

  it('the reconfirmation window opens when the acute cooling-off ends and closes 30 days later', () => {
    expect(reconfirmationWindow(acute, P)).toEqual({ from: day(28), by: day(58), then: 'lapsed' });
    expect(reconfirmationWindow({ ...acute, validUntil: day(40) }, P)).toEqual({
      from: day(28),
      by: day(40),
      then: 'expired',
    });
  });

  const counts: { at: number; validUntil?: number; then: boolean }[] = [
    { at: 10, then: false }, // during the cooling-off: the stressful moment
    { at: 27.99, then: false },
    { at: 28, then: true },
    { at: 30, then: true },
    { at: 58, then: true }, // the window's last instant
    { at: 58.01, then: false },
    { at: 39, validUntil: 40, then: true },
    { at: 40, validUntil: 40, then: false }, // not valid at its validUntil
  ];
  it.each(counts)('a reconfirmation on day $at (validUntil $validUntil) counts: $then', ({ at, validUntil, then }) => {
    const terms = validUntil === undefined ? acute : { ...acute, validUntil: day(validUntil) };
    expect(reconfirmationCounts(terms, day(at), P)).toBe(then);
  });

  it('a routine consent never needs (nor counts) a reconfirmation', () => {
    expect(reconfirmationCounts(routine, day(20), P)).toBe(false);
  });

  it('reminds half way through the window and a day before it closes', () => {
    expect(reconfirmationReminderTimes(acute, P)).toEqual([day(43), day(57)]);
  });

  it('re-consent prompt: 30 days before validUntil, or half way when the consent is valid for less', () => {
    expect(reconsentPromptAt(day(400), day(14), P)).toBe(day(370));
    expect(reconsentPromptAt(day(34), day(14), P)).toBe(day(24));
  });
});

describe('consentOutlook: what the workflow will do, so what a denial may promise', () => {
  const cases: {
    name: string;
    terms: ConsentTerms;
    r?: ReturnType<typeof ref>[];
    then: unknown;
  }[] = [
    {
      name: 'routine: effective at the end of its cooling-off',
      terms: routine,
      then: { kind: 'effective-at', at: day(14) },
    },
    {
      name: 'routine, validUntil before the cooling-off ends: it never becomes effective',
      terms: { ...routine, validUntil: day(10) },
      then: { kind: 'expires-first', at: day(10) },
    },
    {
      name: 'acute, not reconfirmed: needs a reconfirmation in the window, no date',
      terms: acute,
      then: { kind: 'needs-reconfirmation', window: { from: day(28), by: day(58), then: 'lapsed' } },
    },
    {
      name: 'acute, reconfirmed on day 10 only (too early): still needs one, no date',
      terms: acute,
      r: [ref('r10', 10)],
      then: { kind: 'needs-reconfirmation', window: { from: day(28), by: day(58), then: 'lapsed' } },
    },
    {
      name: 'acute, reconfirmed on day 10 then day 30: effective on day 30, by the second',
      terms: acute,
      r: [ref('r10', 10), ref('r30', 30)],
      then: { kind: 'effective-at', at: day(30), reconfirmedBy: 'r30' },
    },
  ];
  it.each(cases)('$name', ({ terms, r, then }) => {
    expect(consentOutlook(terms, r ?? [], P)).toEqual(then);
  });
});

describe('the propagation duty', () => {
  it('due in 30 days; reminders 7 days and 1 day before, earliest first', () => {
    expect(acknowledgementDueBy(day(0), P)).toBe(day(30));
    expect(acknowledgementReminderTimes(day(0), P)).toEqual([day(23), day(29)]);
  });

  it('overdue from the due time until acknowledged', () => {
    expect(isOverdue(day(30), day(29.9))).toBe(false);
    expect(isOverdue(day(30), day(30))).toBe(true);
    expect(isOverdue(day(30), day(45), day(45))).toBe(false);
  });

  it('a holder: awaiting, overdue (by the clock or as recorded), acknowledged', () => {
    const h = { dueBy: day(30), acknowledged: false, overdueRecorded: false };
    expect(holderProgress(h, day(2))).toBe('awaiting-acknowledgement');
    expect(holderProgress(h, day(31))).toBe('overdue');
    expect(holderProgress({ ...h, overdueRecorded: true }, day(2))).toBe('overdue');
    expect(holderProgress({ ...h, acknowledged: true }, day(45))).toBe('acknowledged-without-attestation');
  });

  it('a withdrawal: determining holders, propagating, overdue, completed', () => {
    expect(withdrawalProgress({ holdersKnown: false, completed: false }, [])).toBe('determining-holders');
    expect(
      withdrawalProgress({ holdersKnown: true, completed: false }, ['attested-deleted', 'awaiting-acknowledgement']),
    ).toBe('propagating');
    expect(
      withdrawalProgress({ holdersKnown: true, completed: false }, ['acknowledged-without-attestation', 'overdue']),
    ).toBe('overdue');
    expect(withdrawalProgress({ holdersKnown: true, completed: true }, ['retained-with-basis'])).toBe('completed');
  });

  it('the gauge counts withdrawals started more than 30 days ago', () => {
    expect(overdueIfStartedBefore(day(45), P)).toBe(day(15));
  });
});

describe('property: a denial promises a date only when the workflow will write it', () => {
  const UNI = dataUser('du_uni-uk', 'academic', 'uk');
  const policies = policySet([P]);
  // The rule restated in plain day arithmetic (not through lifecycle.ts): routine → day 14 unless
  // validUntil comes first; acute → the first reconfirmation in ledger order made from day 28 up to
  // day 58 and before validUntil, at its own time.
  const expectedEffective = (setting: string, reconf: number[], validUntil: number | undefined): number | undefined => {
    if (setting === 'routine' || setting === 'remote')
      return validUntil !== undefined && validUntil <= 14 ? undefined : 14;
    if (validUntil !== undefined && validUntil <= 28) return undefined;
    return reconf.find((d) => d >= 28 && d <= 58 && (validUntil === undefined || d < validUntil));
  };

  it('for any consent, reconfirmations and moment before it takes effect', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('routine', 'remote', 'acute', 'emergency'),
        fc.array(fc.integer({ min: 0, max: 70 }), { maxLength: 4 }),
        fc.option(fc.integer({ min: 1, max: 90 }), { nil: undefined }),
        fc.integer({ min: 0, max: 100 }),
        (setting, reconf, validUntil, now) => {
          const events = [
            given('c1', 0, { setting, ...(validUntil !== undefined && { validUntil }) }),
            ...reconf.map((d, i) => reconfirmed('c1', d, { id: `r${i}` })),
          ];
          const d = decide(
            foldEvents(ledger(...events)),
            { subject: SUBJECT, purpose: 'research', dataCategory: 'ehr', dataUser: UNI },
            policies,
            day(now),
          );
          expect(d.decision).toBe('deny'); // nothing is effective until consent.effective is recorded
          const expected = expectedEffective(setting, reconf, validUntil);
          const pastValidUntil = validUntil !== undefined && now >= validUntil;
          expect(d.effectiveFrom).toBe(expected === undefined || pastValidUntil ? undefined : day(expected));
        },
      ),
    );
  });
});

// A parent's consent for a child: given on day 0, effective on day 14, the parent's authority ends on
// day 100 (the child's 16th birthday); the person has 90 days from then to reconfirm it themselves.
describe('consent given by someone acting for the person (default policy: 90 days, reminders 30 and 7 before)', () => {
  const child: ConsentTerms = { ...routine, authorityEndsAt: day(100) };
  const own = (at: number) => ({ eventId: `r${at}`, occurredAt: day(at) });
  const parents = (at: number) => ({ ...own(at), expressedBy: { role: 'parent' } });

  it('the window opens when the authority ends (or the consent takes effect, if later) and lasts 90 days', () => {
    expect(personReconfirmationWindow(child, day(14), P)).toEqual({ from: day(100), by: day(190) });
    const endsDuringCoolingOff = { ...routine, authorityEndsAt: day(5) };
    expect(personReconfirmationWindow(endsDuringCoolingOff, day(14), P)).toEqual({ from: day(14), by: day(104) });
  });

  it('no window for the person’s own consent, a proxy whose authority does not end, or one that expires first', () => {
    expect(personReconfirmationWindow(routine, day(14), P)).toBeUndefined();
    expect(personReconfirmationWindow({ ...child, validUntil: day(190) }, day(14), P)).toBeUndefined();
    expect(personReconfirmationWindow({ ...child, validUntil: day(191) }, day(14), P)).toEqual({
      from: day(100),
      by: day(190),
    });
  });

  const standing: { name: string; reconfirmations: ReturnType<typeof own>[]; now: number; then: string }[] = [
    { name: 'before the authority ends', reconfirmations: [], now: 60, then: 'awaiting-person' },
    { name: 'in the window, not reconfirmed', reconfirmations: [], now: 189, then: 'awaiting-person' },
    { name: 'at the window’s end, not reconfirmed', reconfirmations: [], now: 190, then: 'lapsed' },
    { name: 'reconfirmed by the person on day 120', reconfirmations: [own(120)], now: 400, then: 'reconfirmed' },
    { name: 'reconfirmed on the last day (190)', reconfirmations: [own(190)], now: 400, then: 'reconfirmed' },
    {
      name: 'the person’s reconfirmation before the authority ended does not count',
      reconfirmations: [own(90)],
      now: 200,
      then: 'lapsed',
    },
    { name: 'a reconfirmation after the window does not count', reconfirmations: [own(191)], now: 200, then: 'lapsed' },
    { name: 'the parent’s reconfirmation does not count', reconfirmations: [parents(99)], now: 200, then: 'lapsed' },
  ];
  it.each(standing)('$name → $then', ({ reconfirmations, now, then }) => {
    expect(personStanding(child, day(14), reconfirmations, P, day(now)).kind).toBe(then);
  });
  it('the person’s own reconfirmation is named; the default policy is not changed for the person’s own consent', () => {
    expect(personStanding(child, day(14), [parents(50), own(130), own(150)], P, day(300))).toEqual({
      kind: 'reconfirmed',
      by: own(130),
      window: { from: day(100), by: day(190) },
    });
    expect(personStanding(routine, day(14), [], P, day(3000)).kind).toBe('not-needed');
  });

  it('the organisation is told as the window opens and reminded 30 and 7 days before it closes', () => {
    expect(personReconfirmationReminderTimes({ from: day(100), by: day(190) }, P)).toEqual([
      day(100),
      day(160),
      day(183),
    ]);
  });

  describe('the person’s own later consent replaces a proxy’s they never reconfirmed', () => {
    const choice = (c: Partial<ConsentChoice> & { eventId: string; givenAt: string }): ConsentChoice => ({
      byProxy: false,
      tookEffect: true,
      reconfirmations: [],
      ...c,
    });
    const parentsConsent = choice({ eventId: 'p', givenAt: day(0), byProxy: true, authorityEndsAt: day(100) });
    it.each([
      { name: 'own consent later, in effect', own: choice({ eventId: 'o', givenAt: day(120) }), then: ['p'] },
      {
        name: 'own consent later, not (yet) in effect',
        own: choice({ eventId: 'o', givenAt: day(120), tookEffect: false }),
        then: [],
      },
      {
        name: 'own consent earlier (the proxy’s is the later choice)',
        own: choice({ eventId: 'o', givenAt: day(-5) }),
        then: [],
      },
    ])('$name → superseded $then', ({ own: o, then }) => {
      expect(supersededByPerson([parentsConsent, o])).toEqual(then);
    });
    it('a proxy’s consent the person reconfirmed once the authority ended is theirs: not superseded', () => {
      const adopted = { ...parentsConsent, reconfirmations: [own(110)] };
      expect(supersededByPerson([adopted, choice({ eventId: 'o', givenAt: day(120) })])).toEqual([]);
      const tooEarly = { ...parentsConsent, reconfirmations: [own(90)] };
      expect(supersededByPerson([tooEarly, choice({ eventId: 'o', givenAt: day(120) })])).toEqual(['p']);
    });
    it('an attorney’s consent without an end date: any reconfirmation by the person adopts it', () => {
      const attorney = choice({ eventId: 'a', givenAt: day(0), byProxy: true, reconfirmations: [own(3)] });
      expect(supersededByPerson([attorney, choice({ eventId: 'o', givenAt: day(20) })])).toEqual([]);
      expect(
        supersededByPerson([{ ...attorney, reconfirmations: [] }, choice({ eventId: 'o', givenAt: day(20) })]),
      ).toEqual(['a']);
    });
  });
});

describe('a holder’s acknowledgement, by what it attests', () => {
  const acked = { dueBy: day(30), acknowledged: true, overdueRecorded: true };
  const by = { performedAt: day(40), performedBy: { role: 'data-custodian' as const } };
  it.each([
    { attestation: { action: 'deleted' as const, ...by }, then: 'attested-deleted' },
    { attestation: { action: 'derived-data-deleted' as const, ...by }, then: 'attested-deleted' },
    {
      attestation: {
        action: 'retained' as const,
        retained: 'trained-model' as const,
        legalBasis: 'research-impossible-without' as const,
        ...by,
      },
      then: 'retained-with-basis',
    },
    { attestation: null, then: 'acknowledged-without-attestation' },
    { attestation: undefined, then: 'acknowledged-without-attestation' },
  ])('$attestation.action → $then (even after being overdue)', ({ attestation, then }) => {
    const p = holderProgress({ ...acked, attestation }, day(45));
    expect(p).toBe(then);
    expect(isAcknowledged(p)).toBe(true);
  });
  it('not yet acknowledged: awaiting or overdue, neither acknowledged', () => {
    expect(
      isAcknowledged(holderProgress({ dueBy: day(30), acknowledged: false, overdueRecorded: false }, day(45))),
    ).toBe(false);
  });
});
