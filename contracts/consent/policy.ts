// The consent policy: configuration, versioned, recorded on events (policyVersion). The pure core
// (fold.ts / decide.ts) and the workflows read durations from here, never from constants of their
// own, so a deployment changes a period in one place and the ledger says which version applied.
//
// Durations are in days, where a day is 24 hours of UTC (no calendars, no daylight saving): a
// 14-day cooling-off that starts at 2026-03-01T09:30Z ends at 2026-03-15T09:30Z. Fractions of a
// day are allowed so that tests against a real-time Temporal server can use short periods.
import * as z from 'zod';
import { PolicyVersionSchema, utcMillis } from './primitives.js';

export const DEFAULT_MODELS = ['opt-in', 'opt-out'] as const;
export type DefaultModel = (typeof DEFAULT_MODELS)[number];

/** Ten years: far beyond any sane period, low enough that date arithmetic can never overflow. */
const MAX_DAYS = 3650;
const days = (description: string) =>
  z
    .number({ error: 'must be a number of days' })
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
    reconfirmationReminderDaysBefore: z
      .array(positiveDays('Remind the emitting organisation this many days before the reconfirmation window closes.'))
      .meta({ uniqueItems: true }),
    reconsentLeadDays: positiveDays(
      'Prompt the emitting organisation this many days before a consent’s validUntil (half way, if it is valid for less).',
    ),
    personReconfirmation: z
      .strictObject({
        windowDays: positiveDays(
          'When the authority of someone who consented for the person ends (a parent’s, at the child’s 16th ' +
            'birthday) — or the consent takes effect, if later — how long the person has to reconfirm it ' +
            'themselves before it lapses.',
        ),
        reminderDaysBefore: z
          .array(positiveDays('Remind the emitting organisation this many days before that window closes.'))
          .meta({ uniqueItems: true }),
      })
      // A version written before proxies were recorded gets these; they change nothing for the consents
      // it governed (every one of them the person's own), so the version keeps its meaning.
      .default({ windowDays: 90, reminderDaysBefore: [30, 7] }),
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
    checkReminders(ctx, p.propagation.reminderDaysBefore, p.propagation.ackWithinDays, [
      'propagation',
      'reminderDaysBefore',
    ]);
    checkReminders(ctx, p.reconfirmationReminderDaysBefore, p.reconfirmationWindowDays, [
      'reconfirmationReminderDaysBefore',
    ]);
    checkReminders(ctx, p.personReconfirmation.reminderDaysBefore, p.personReconfirmation.windowDays, [
      'personReconfirmation',
      'reminderDaysBefore',
    ]);
  })
  .meta({ title: 'Policy', description: 'Consent policy (configuration), versioned and recorded on events.' });
export type Policy = z.infer<typeof PolicySchema>;

/** Reminders: each once, each inside the period they remind of. */
function checkReminders(ctx: z.RefinementCtx, daysBefore: readonly number[], period: number, at: (string | number)[]) {
  const seen = new Set<number>();
  daysBefore.forEach((d, i) => {
    const path = [...at, i];
    if (seen.has(d)) ctx.addIssue({ code: 'custom', message: 'duplicate value', path });
    else if (d >= period)
      ctx.addIssue({ code: 'custom', message: `must be less than the period (${period} days)`, path });
    seen.add(d);
  });
}

/**
 * The default policy.
 *
 * - coolingOffDays 14: the period the public asked for and the design names.
 * - acuteCoolingOffDays 28 (the extended rule): consent captured in an acute or emergency setting
 *   is exactly the "stressful clinical moment" people do not want consent extracted in. Doubling
 *   the period means the reconfirmation is asked for once a typical acute episode and its early
 *   recovery are over, when the person can weigh it at home; reconfirmation is still required, and
 *   only a reconfirmation made after these 28 days counts.
 * - reconfirmationWindowDays 30: after the acute cooling-off the person has 30 days to reconfirm;
 *   otherwise the consent lapses (so an unreconfirmed acute consent lapses 58 days after capture).
 *   The emitting organisation is reminded half way (15 days before the window closes) and a day before.
 * - reconsentLeadDays 30: a consent with validUntil prompts a new consent 30 days before it ends.
 * - personReconfirmation 90 days, reminders 30 and 7 days before: a consent given by a parent for a
 *   child needs the person's own reconfirmation once the parent's authority ends (the child's 16th
 *   birthday). The organisation is told on that day and reminded twice; three months leave time to reach
 *   a young person (often at a routine appointment) without the consent lapsing meanwhile, and the data
 *   keep being used on the parent's consent only for that long. Added after 2026-01 was first applied,
 *   with these same values as the default, which cannot change 2026-01's meaning: under it no consent
 *   had been recorded as given by someone else.
 * - propagation: acknowledge a revocation notice within 30 days, reminders 7 days and 1 day before.
 * - defaultModel opt-in: with no covering consent, research use of health data is denied.
 */
export const DEFAULT_POLICY: Policy = Object.freeze({
  version: '2026-01',
  coolingOffDays: 14,
  acuteCoolingOffDays: 28,
  reconfirmationWindowDays: 30,
  reconfirmationReminderDaysBefore: Object.freeze([15, 1]) as number[],
  reconsentLeadDays: 30,
  personReconfirmation: Object.freeze({ windowDays: 90, reminderDaysBefore: Object.freeze([30, 7]) as number[] }),
  propagation: Object.freeze({ ackWithinDays: 30, reminderDaysBefore: Object.freeze([7, 1]) as number[] }),
  defaultModel: 'opt-in',
});

/**
 * Every policy version the deployment ever applied, and the one it applies to new consents. A
 * consent's lifecycle runs on the version recorded on it (consent.given's policyVersion), so the
 * ledger alone says which rules applied; a version once used is never edited, only superseded.
 */
export interface PolicySet {
  readonly current: Policy;
  readonly versions: ReadonlyMap<string, Policy>;
}

export const PolicySetSchema = z
  .array(PolicySchema)
  .min(1, { error: 'must list at least one policy version' })
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((p, i) => {
      if (seen.has(p.version))
        ctx.addIssue({ code: 'custom', message: `version ${p.version} listed twice`, path: [i, 'version'] });
      seen.add(p.version);
    });
  });

/** A set from its versions; `current` names one of them (default: the last listed). */
export function policySet(versions: readonly Policy[], current?: string): PolicySet {
  const byVersion = new Map(versions.map((p) => [p.version, p]));
  const chosen = current === undefined ? versions.at(-1) : byVersion.get(current);
  if (!chosen) throw new Error(`the current policy version ${current ?? '(none)'} is not among the versions`);
  return { current: chosen, versions: byVersion };
}

export const DEFAULT_POLICY_SET: PolicySet = policySet([DEFAULT_POLICY]);

/** The policy recorded on a consent, or undefined for a version the deployment does not hold. */
export function policyOf(set: PolicySet, version: string): Policy | undefined {
  return set.versions.get(version);
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** `ts + days`, as a UTC timestamp (milliseconds shown only when not zero). Pure: no clock read. */
export function addDays(ts: string, days: number): string {
  return new Date(utcMillis(ts) + Math.round(days * DAY_MS)).toISOString().replace('.000Z', 'Z');
}
