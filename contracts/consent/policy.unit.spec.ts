import { describe, expect, it } from 'vitest';
import {
  DEFAULT_POLICY,
  PolicySchema,
  acknowledgementDueBy,
  addDays,
  coolingOffEndsAt,
  reconfirmationDueBy,
  reminderTimes,
  requiresReconfirmation,
} from './policy.js';
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

  it('acute and emergency capture take the extended rule; routine and remote do not', () => {
    expect(['routine', 'remote', 'acute', 'emergency'].map((s) => requiresReconfirmation(s as never))).toEqual([
      false,
      false,
      true,
      true,
    ]);
    expect(coolingOffEndsAt('2026-03-01T00:00:00Z', 'routine', DEFAULT_POLICY)).toBe('2026-03-15T00:00:00Z');
    expect(coolingOffEndsAt('2026-03-01T00:00:00Z', 'emergency', DEFAULT_POLICY)).toBe('2026-03-29T00:00:00Z');
    expect(reconfirmationDueBy('2026-03-01T00:00:00Z', DEFAULT_POLICY)).toBe('2026-04-28T00:00:00Z');
  });

  it('propagation SLA: due in 30 days, reminders 7 days and 1 day before, earliest first', () => {
    expect(acknowledgementDueBy('2026-03-01T00:00:00Z', DEFAULT_POLICY)).toBe('2026-03-31T00:00:00Z');
    expect(
      reminderTimes('2026-03-01T00:00:00Z', {
        ...DEFAULT_POLICY,
        propagation: { ackWithinDays: 30, reminderDaysBefore: [1, 7] },
      }),
    ).toEqual(['2026-03-24T00:00:00Z', '2026-03-30T00:00:00Z']);
  });
});
