// The consent policy: configuration, versioned, recorded on events (policyVersion). The pure core
// (fold.ts / decide.ts) and the workflows read durations from here, never from constants of their
// own, so a deployment changes a period in one place and the ledger says which version applied.
//
// Durations are in days, where a day is 24 hours of UTC (no calendars, no daylight saving): a
// 14-day cooling-off that starts at 2026-03-01T09:30Z ends at 2026-03-15T09:30Z. Fractions of a
// day are allowed so that tests against a real-time Temporal server can use short periods.
import * as z from 'zod';
import { PolicyVersionSchema, utcMillis } from './primitives.js';
import type { CaptureSetting } from './vocabulary.js';

export const DEFAULT_MODELS = ['opt-in', 'opt-out'] as const;
export type DefaultModel = (typeof DEFAULT_MODELS)[number];

/** Ten years: far beyond any sane period, low enough that date arithmetic can never overflow. */
const MAX_DAYS = 3650;
const days = (description: string) =>
  z
    .number({ error: 'must be a number of days' })
    .finite()
    .nonnegative({ error: 'must not be negative' })
    .max(MAX_DAYS, { error: `must be at most ${MAX_DAYS} days` })
    .meta({ description });
const positiveDays = (description: string) => days(description).positive({ error: 'must be more than 0' });

export const PolicySchema = z
  .strictObject({
    version: PolicyVersionSchema,
    coolingOffDays: days('Cooling-off after a consent is given, before it can take effect.'),
    acuteCoolingOffDays: days(
      'Cooling-off for consent captured in an acute or emergency setting; reconfirmation is asked for after it.',
    ),
    reconfirmationWindowDays: positiveDays(
      'After the acute cooling-off ends, how long the person has to reconfirm before the consent lapses.',
    ),
    propagation: z.strictObject({
      ackWithinDays: positiveDays('A data user must acknowledge a revocation notice within this many days.'),
      reminderDaysBefore: z
        .array(positiveDays('Send a reminder this many days before the acknowledgement is due.'))
        .meta({ uniqueItems: true }),
    }),
    defaultModel: z
      .enum(DEFAULT_MODELS)
      .meta({ description: 'With no covering consent, opt-out or withdrawal: opt-in denies, opt-out permits.' }),
  })
  .superRefine((p, ctx) => {
    if (p.acuteCoolingOffDays < p.coolingOffDays) {
      ctx.addIssue({
        code: 'custom',
        message: 'must not be shorter than coolingOffDays',
        path: ['acuteCoolingOffDays'],
      });
    }
    const seen = new Set<number>();
    p.propagation.reminderDaysBefore.forEach((d, i) => {
      const path = ['propagation', 'reminderDaysBefore', i];
      if (seen.has(d)) ctx.addIssue({ code: 'custom', message: 'duplicate value', path });
      else if (d >= p.propagation.ackWithinDays) {
        ctx.addIssue({ code: 'custom', message: 'must be less than propagation.ackWithinDays', path });
      }
      seen.add(d);
    });
  })
  .meta({ title: 'Policy', description: 'Consent policy (configuration), versioned and recorded on events.' });
export type Policy = z.infer<typeof PolicySchema>;

/**
 * The default policy.
 *
 * - coolingOffDays 14: the period the public asked for and the design names.
 * - acuteCoolingOffDays 28 (the extended rule): consent captured in an acute or emergency setting
 *   is exactly the "stressful clinical moment" people do not want consent extracted in. Doubling
 *   the period means the reconfirmation is asked for once a typical acute episode and its early
 *   recovery are over, when the person can weigh it at home; reconfirmation is still required.
 * - reconfirmationWindowDays 30: after the acute cooling-off the person has 30 days to reconfirm;
 *   otherwise the consent lapses (so an unreconfirmed acute consent lapses 58 days after capture).
 * - propagation: acknowledge a revocation notice within 30 days, reminders 7 days and 1 day before.
 * - defaultModel opt-in: with no covering consent, research use of health data is denied.
 */
export const DEFAULT_POLICY: Policy = Object.freeze({
  version: '2026-01',
  coolingOffDays: 14,
  acuteCoolingOffDays: 28,
  reconfirmationWindowDays: 30,
  propagation: Object.freeze({ ackWithinDays: 30, reminderDaysBefore: Object.freeze([7, 1]) as number[] }),
  defaultModel: 'opt-in',
});

export const DAY_MS = 24 * 60 * 60 * 1000;

/** `ts + days`, as a UTC timestamp (milliseconds shown only when not zero). Pure: no clock read. */
export function addDays(ts: string, days: number): string {
  return new Date(utcMillis(ts) + Math.round(days * DAY_MS)).toISOString().replace('.000Z', 'Z');
}

/** The extended rule applies to consent captured in an acute or emergency setting. */
export function requiresReconfirmation(setting: CaptureSetting): boolean {
  switch (setting) {
    case 'acute':
    case 'emergency':
      return true;
    case 'routine':
    case 'remote':
      return false;
    default: {
      const _never: never = setting;
      return _never;
    }
  }
}

/** When the cooling-off of a consent given at `givenAt` ends. */
export function coolingOffEndsAt(givenAt: string, setting: CaptureSetting, policy: Policy): string {
  return addDays(givenAt, requiresReconfirmation(setting) ? policy.acuteCoolingOffDays : policy.coolingOffDays);
}

/** Acute/emergency capture: the last moment a reconfirmation counts; after it the consent lapses. */
export function reconfirmationDueBy(givenAt: string, policy: Policy): string {
  return addDays(givenAt, policy.acuteCoolingOffDays + policy.reconfirmationWindowDays);
}

/** When a revocation notice sent at `sentAt` must have been acknowledged. */
export function acknowledgementDueBy(sentAt: string, policy: Policy): string {
  return addDays(sentAt, policy.propagation.ackWithinDays);
}

/** When to remind a data user of a notice sent at `sentAt`, earliest first. */
export function reminderTimes(sentAt: string, policy: Policy): string[] {
  const due = acknowledgementDueBy(sentAt, policy);
  return [...policy.propagation.reminderDaysBefore].sort((a, b) => b - a).map((d) => addDays(due, -d));
}
