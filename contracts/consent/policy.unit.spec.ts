import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, PolicySchema, PolicySetSchema, addDays, policyOf, policySet } from './policy.js';
import { issuesToProblems } from './problems.js';

const problems = (input: unknown) => {
  const r = PolicySchema.safeParse(input);
  return r.success ? [] : issuesToProblems(r.error.issues);
};

describe('PolicySchema', () => {
  it('accepts the default policy, which is frozen', () => {
    expect(PolicySchema.parse(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY);
    expect(Object.isFrozen(DEFAULT_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_POLICY.propagation.reminderDaysBefore)).toBe(true);
  });

  it('a version written before personReconfirmation existed gets the default, the same as 2026-01’s', () => {
    const { personReconfirmation: _added, ...asConfiguredIn2026 } = DEFAULT_POLICY;
    expect(PolicySchema.parse(asConfiguredIn2026)).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY.personReconfirmation).toEqual({ windowDays: 90, reminderDaysBefore: [30, 7] });
  });

  it('accepts fractions of a day (short periods for real-time workflow tests)', () => {
    expect(problems({ ...DEFAULT_POLICY, coolingOffDays: 0.0001, acuteCoolingOffDays: 0.0002 })).toEqual([]);
  });

  const bad: { name: string; change: object; field: string }[] = [
    { name: 'acute shorter than routine', change: { acuteCoolingOffDays: 7 }, field: '/acuteCoolingOffDays' },
    { name: 'negative cooling-off', change: { coolingOffDays: -1 }, field: '/coolingOffDays' },
    { name: 'no reconfirmation window', change: { reconfirmationWindowDays: 0 }, field: '/reconfirmationWindowDays' },
    { name: 'absurd period', change: { acuteCoolingOffDays: 1e9 }, field: '/acuteCoolingOffDays' },
    { name: 'unknown default model', change: { defaultModel: 'maybe' }, field: '/defaultModel' },
    { name: 'bad version', change: { version: 'v 1' }, field: '/version' },
    { name: 'unknown field', change: { coolingOff: 3 }, field: '/coolingOff' },
    {
      name: 'reminder not before the deadline',
      change: { propagation: { ackWithinDays: 30, reminderDaysBefore: [30] } },
      field: '/propagation/reminderDaysBefore/0',
    },
    {
      name: 'reconfirmation reminder not inside the window',
      change: { reconfirmationReminderDaysBefore: [30] },
      field: '/reconfirmationReminderDaysBefore/0',
    },
    { name: 'no re-consent lead time', change: { reconsentLeadDays: 0 }, field: '/reconsentLeadDays' },
    {
      name: 'no window for the person’s own reconfirmation',
      change: { personReconfirmation: { windowDays: 0, reminderDaysBefore: [] } },
      field: '/personReconfirmation/windowDays',
    },
    {
      name: 'a person-reconfirmation reminder outside its window',
      change: { personReconfirmation: { windowDays: 30, reminderDaysBefore: [30] } },
      field: '/personReconfirmation/reminderDaysBefore/0',
    },
    {
      name: 'duplicate reminder',
      change: { propagation: { ackWithinDays: 30, reminderDaysBefore: [7, 7] } },
      field: '/propagation/reminderDaysBefore/1',
    },
  ];
  it.each(bad)('refuses $name, naming $field', ({ change, field }) => {
    expect(problems({ ...DEFAULT_POLICY, ...change }).map((p) => p.field)).toContain(field);
  });
});

describe('policy arithmetic (a day is 24 h of UTC)', () => {
  it('adds days to a timestamp', () => {
    expect(addDays('2026-03-01T09:30:00Z', 14)).toBe('2026-03-15T09:30:00Z');
    expect(addDays('2026-03-28T12:00:00Z', 2)).toBe('2026-03-30T12:00:00Z'); // across the UK clock change
    expect(addDays('2026-03-01T09:30:00.250Z', 0.5)).toBe('2026-03-01T21:30:00.250Z');
  });
});

describe('policy versions (every version ever applied)', () => {
  const later = { ...DEFAULT_POLICY, version: '2027-01', coolingOffDays: 21, acuteCoolingOffDays: 28 };

  it('the last listed applies to new consents; every listed version is found by name', () => {
    const set = policySet([DEFAULT_POLICY, later]);
    expect(set.current.version).toBe('2027-01');
    expect(policyOf(set, '2026-01')).toBe(DEFAULT_POLICY);
    expect(policyOf(set, '2025-07')).toBeUndefined();
  });

  it('refuses an empty list and a version listed twice, naming it', () => {
    expect(PolicySetSchema.safeParse([]).success).toBe(false);
    const twice = PolicySetSchema.safeParse([DEFAULT_POLICY, { ...DEFAULT_POLICY, coolingOffDays: 7 }]);
    expect(twice.success).toBe(false);
    expect(issuesToProblems(twice.error!.issues).map((p) => p.field)).toEqual(['/1/version']);
  });
});
