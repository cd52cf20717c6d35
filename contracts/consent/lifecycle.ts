// The consent lifecycle and the propagation duty, as pure functions of the policy and the recorded
// events: when a cooling-off ends, whether a reconfirmation counts, when a consent becomes effective,
// the reconfirmation window and its reminders, the re-consent prompt, when a notice is due and when it
// is overdue, and a withdrawal's status. decide(), the fold, the coolingOff and withdrawalPropagation
// workflows, the dispatcher's gauges, the audit summary and the withdrawal-status route call these and
// nothing else, so a date promised in one place is the date acted on in another.
//
// Product rule: consent captured in an acute or emergency setting needs the person's reconfirmation,
// and a reconfirmation counts only if made (occurredAt) AFTER the cooling-off ended — the point of the
// cooling-off is that the person decides outside the stressful moment — and no later than the end of
// the reconfirmation window (nor at or after the consent's validUntil). A reconfirmation made during the
// cooling-off is kept on the ledger (the person said it) and never counts.
//
// Product rule for consent given by someone acting for the person (a parent, guardian, attorney or
// deputy, expressedBy.ts): once that person's authority ends (a parent's at the child's 16th birthday) —
// or the consent takes effect, if that is later — the consent needs the person's OWN reconfirmation,
// made from then on and within the policy's personReconfirmation window; without one it lapses at the
// window's end. Until then it stays in force. And the person's own later choice always wins over a
// proxy's: besides the fold's order (the later choice is the newer one), a proxy's consent the person
// never reconfirmed stops counting once the person's own, later consent takes effect — the person now
// decides what they allow (supersededByPerson). A proxy cannot act once its authority ended (data.ts
// refuses such an event at ingest).
//
// Durations are days of 24 hours of UTC (policy.ts). Pure: no clock read; `now` is passed in.
import type { AttestedAction } from './attestation.js';
import { addDays, DAY_MS, type Policy } from './policy.js';
import { compareUtc, utcMillis } from './primitives.js';
import type { CaptureSetting } from './vocabulary.js';

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

/** The consent as the lifecycle needs it (from its consent.given). */
export interface ConsentTerms {
  readonly givenAt: string;
  readonly setting: CaptureSetting;
  readonly validUntil?: string | undefined;
  /** Given by someone acting for the person whose authority ends at this instant (expressedBy). */
  readonly authorityEndsAt?: string | undefined;
}

/** Who made a reconfirmation, as the lifecycle needs it: `expressedBy` absent or the person's own. */
export interface ReconfirmationBy {
  readonly occurredAt: string;
  readonly expressedBy?: { readonly role: string } | undefined;
}

const byThePerson = (r: ReconfirmationBy): boolean => r.expressedBy === undefined || r.expressedBy.role === 'person';

/** Acute/emergency capture: a reconfirmation counts when made from `from` up to `by`. */
export interface ReconfirmationWindow {
  /** The end of the (acute) cooling-off. */
  readonly from: string;
  /** The end of the window: the policy's window, or validUntil when that comes first. */
  readonly by: string;
  /** What the consent becomes at `by` without a counting reconfirmation. */
  readonly then: 'lapsed' | 'expired';
}

export function reconfirmationWindow(terms: ConsentTerms, policy: Policy): ReconfirmationWindow {
  const from = addDays(terms.givenAt, policy.acuteCoolingOffDays);
  const by = addDays(from, policy.reconfirmationWindowDays);
  if (terms.validUntil !== undefined && compareUtc(terms.validUntil, by) <= 0) {
    return { from, by: terms.validUntil, then: 'expired' };
  }
  return { from, by, then: 'lapsed' };
}

/** Whether a reconfirmation made at `at` counts (see the product rule above). */
export function reconfirmationCounts(terms: ConsentTerms, at: string, policy: Policy): boolean {
  if (!requiresReconfirmation(terms.setting)) return false;
  const w = reconfirmationWindow(terms, policy);
  if (compareUtc(at, w.from) < 0) return false;
  // A consent is not valid at its validUntil; the policy's window includes its last instant.
  return w.then === 'expired' ? compareUtc(at, w.by) < 0 : compareUtc(at, w.by) <= 0;
}

/**
 * The reconfirmation that makes the consent effective: the first that counts, in the order given —
 * ledger order, which is the order the workflow receives them as signals.
 */
export function countedReconfirmation<R extends { readonly occurredAt: string }>(
  terms: ConsentTerms,
  reconfirmations: readonly R[],
  policy: Policy,
): R | undefined {
  return reconfirmations.find((r) => reconfirmationCounts(terms, r.occurredAt, policy));
}

/** When to remind the emitting organisation during the reconfirmation window, earliest first. */
export function reconfirmationReminderTimes(terms: ConsentTerms, policy: Policy): string[] {
  const w = reconfirmationWindow(terms, policy);
  return remindersBefore(w.by, policy.reconfirmationReminderDaysBefore, w.from);
}

/**
 * What happens next to a consent that is neither effective nor ended, as the workflow will do it:
 * - `effective-at`: it becomes effective at `at` unless refused (cancelled) first;
 * - `needs-reconfirmation`: acute capture with no counting reconfirmation yet: it becomes effective
 *   only when the person reconfirms within the window, and lapses (or expires) at `window.by` otherwise;
 * - `expires-first`: validUntil comes before it could become effective: it never does.
 * A denial promises a date only in the first case, and it is the date consent.effective will carry.
 */
export type ConsentOutlook =
  | { readonly kind: 'effective-at'; readonly at: string; readonly reconfirmedBy?: string }
  | { readonly kind: 'needs-reconfirmation'; readonly window: ReconfirmationWindow }
  | { readonly kind: 'expires-first'; readonly at: string };

/** validUntil, when it comes at or before the end of the cooling-off: the consent then never takes effect. */
export function expiresDuringCoolingOff(terms: ConsentTerms, policy: Policy): string | undefined {
  const endsAt = coolingOffEndsAt(terms.givenAt, terms.setting, policy);
  return terms.validUntil !== undefined && compareUtc(terms.validUntil, endsAt) <= 0 ? terms.validUntil : undefined;
}

export function consentOutlook(
  terms: ConsentTerms,
  reconfirmations: readonly { readonly eventId: string; readonly occurredAt: string }[],
  policy: Policy,
): ConsentOutlook {
  const endsAt = coolingOffEndsAt(terms.givenAt, terms.setting, policy);
  const expiry = expiresDuringCoolingOff(terms, policy);
  if (expiry !== undefined) return { kind: 'expires-first', at: expiry };
  if (!requiresReconfirmation(terms.setting)) return { kind: 'effective-at', at: endsAt };
  const counted = countedReconfirmation(terms, reconfirmations, policy);
  if (counted) return { kind: 'effective-at', at: counted.occurredAt, reconfirmedBy: counted.eventId };
  return { kind: 'needs-reconfirmation', window: reconfirmationWindow(terms, policy) };
}

/**
 * When to prompt the emitting organisation to ask for a new consent before `validUntil`: the policy's
 * lead time before it, or half way from the moment the consent became effective when that is shorter.
 */
export function reconsentPromptAt(validUntil: string, effectiveAt: string, policy: Policy): string {
  const remainingDays = (utcMillis(validUntil) - utcMillis(effectiveAt)) / DAY_MS;
  const lead = Math.min(policy.reconsentLeadDays, remainingDays / 2);
  return addDays(validUntil, -Math.max(0, lead));
}

// --- consent given by someone acting for the person ---------------------------------------------

/** After a proxy's authority ends: when the person's own reconfirmation counts, and when it lapses without. */
export interface PersonReconfirmationWindow {
  /** The later of the end of the authority and the moment the consent took effect. */
  readonly from: string;
  /** The end of the window: the consent lapses then without the person's reconfirmation. */
  readonly by: string;
}

/**
 * The window for the person's own reconfirmation of a consent that became effective at `effectiveAt`;
 * undefined when none is needed: the person gave it, the proxy's authority does not end, or the consent
 * expires (validUntil) no later than the window would close.
 */
export function personReconfirmationWindow(
  terms: ConsentTerms,
  effectiveAt: string,
  policy: Policy,
): PersonReconfirmationWindow | undefined {
  if (terms.authorityEndsAt === undefined) return undefined;
  const from = compareUtc(terms.authorityEndsAt, effectiveAt) >= 0 ? terms.authorityEndsAt : effectiveAt;
  const by = addDays(from, policy.personReconfirmation.windowDays);
  if (terms.validUntil !== undefined && compareUtc(terms.validUntil, by) <= 0) return undefined;
  return { from, by };
}

/** The person's own reconfirmation that keeps the consent in force: the first one made within the window. */
export function personReconfirmation<R extends ReconfirmationBy>(
  window: PersonReconfirmationWindow,
  reconfirmations: readonly R[],
): R | undefined {
  return reconfirmations.find(
    (r) => byThePerson(r) && compareUtc(r.occurredAt, window.from) >= 0 && compareUtc(r.occurredAt, window.by) <= 0,
  );
}

/**
 * An effective consent's standing under the rule above, at `now`:
 * - `not-needed`: no proxy authority ends before the consent does;
 * - `reconfirmed`: the person reconfirmed it within the window — it stays in force;
 * - `awaiting-person`: in force until `window.by`; `lapsed` from then on (before the workflow has
 *   written consent.lapsed too: fail closed).
 */
export type PersonStanding<R> =
  | { readonly kind: 'not-needed' }
  | { readonly kind: 'reconfirmed'; readonly by: R; readonly window: PersonReconfirmationWindow }
  | { readonly kind: 'awaiting-person' | 'lapsed'; readonly window: PersonReconfirmationWindow };

export function personStanding<R extends ReconfirmationBy>(
  terms: ConsentTerms,
  effectiveAt: string,
  reconfirmations: readonly R[],
  policy: Policy,
  now: string,
): PersonStanding<R> {
  const window = personReconfirmationWindow(terms, effectiveAt, policy);
  if (!window) return { kind: 'not-needed' };
  const by = personReconfirmation(window, reconfirmations);
  if (by) return { kind: 'reconfirmed', by, window };
  return { kind: compareUtc(now, window.by) >= 0 ? 'lapsed' : 'awaiting-person', window };
}

/** When to tell the emitting organisation the person must reconfirm: as the window opens, then the
 *  policy's days before it closes. */
export function personReconfirmationReminderTimes(window: PersonReconfirmationWindow, policy: Policy): string[] {
  return [window.from, ...remindersBefore(window.by, policy.personReconfirmation.reminderDaysBefore, window.from)];
}

/** A consent as the supersession rule needs it. */
export interface ConsentChoice {
  readonly eventId: string;
  readonly givenAt: string;
  /** Given by someone acting for the person. */
  readonly byProxy: boolean;
  /** For a proxy's consent: when its authority ends, if it does. */
  readonly authorityEndsAt?: string | undefined;
  /** consent.effective recorded and not undone by a cancellation. */
  readonly tookEffect: boolean;
  readonly reconfirmations: readonly ReconfirmationBy[];
}

/**
 * The proxies' consents that the person's own later choice has replaced: each one the person never made
 * their own (no reconfirmation by the person once the proxy's authority had ended — at any time, when it
 * does not end), given before a consent of the person's own that has taken effect. Ids, in input order.
 */
export function supersededByPerson(consents: readonly ConsentChoice[]): string[] {
  const own = consents.filter((c) => !c.byProxy && c.tookEffect);
  const adopted = (c: ConsentChoice) =>
    c.reconfirmations.some(
      (r) => byThePerson(r) && (c.authorityEndsAt === undefined || compareUtc(r.occurredAt, c.authorityEndsAt) >= 0),
    );
  return consents
    .filter((c) => c.byProxy && !adopted(c) && own.some((p) => compareUtc(p.givenAt, c.givenAt) > 0))
    .map((c) => c.eventId);
}

// --- the propagation duty -----------------------------------------------------------------------

/** When a revocation notice sent at `sentAt` must have been acknowledged. */
export function acknowledgementDueBy(sentAt: string, policy: Policy): string {
  return addDays(sentAt, policy.propagation.ackWithinDays);
}

/** When to remind a data user of a notice sent at `sentAt`, earliest first. */
export function acknowledgementReminderTimes(sentAt: string, policy: Policy): string[] {
  return remindersBefore(acknowledgementDueBy(sentAt, policy), policy.propagation.reminderDaysBefore, sentAt);
}

/** A notice is overdue from its due time on, until it is acknowledged. */
export function isOverdue(dueBy: string, now: string, acknowledgedAt?: string): boolean {
  if (acknowledgedAt !== undefined) return false;
  return compareUtc(now, dueBy) >= 0;
}

/**
 * One holder's part of a withdrawal, from the recorded steps. Acknowledged, it is what the data user
 * attested: `attested-deleted` (the data, or the data and what was derived from it, deleted),
 * `retained-with-basis` (kept under a named legal basis, e.g. a trained model that cannot unlearn), or
 * `acknowledged-without-attestation` (an acknowledgement that attests nothing — every one written
 * before attestations were recorded). Each of the three ends the holder's duty.
 */
export const HOLDER_PROGRESS = [
  'awaiting-acknowledgement',
  'overdue',
  'attested-deleted',
  'retained-with-basis',
  'acknowledged-without-attestation',
] as const;
export type HolderProgress = (typeof HOLDER_PROGRESS)[number];
export const ACKNOWLEDGED_PROGRESS = [
  'attested-deleted',
  'retained-with-basis',
  'acknowledged-without-attestation',
] as const satisfies readonly HolderProgress[];

export function isAcknowledged(p: HolderProgress): boolean {
  return (ACKNOWLEDGED_PROGRESS as readonly HolderProgress[]).includes(p);
}

export interface HolderSteps {
  readonly dueBy?: string | undefined;
  readonly acknowledged: boolean;
  /** What the acknowledgement attested (`action`); absent or null: nothing. */
  readonly attestation?: { readonly action: AttestedAction } | null | undefined;
  /** revocation.overdue recorded (the workflow's own finding). */
  readonly overdueRecorded: boolean;
}

export function holderProgress(h: HolderSteps, now: string): HolderProgress {
  if (h.acknowledged) return attested(h.attestation?.action);
  if (h.overdueRecorded || (h.dueBy !== undefined && isOverdue(h.dueBy, now))) return 'overdue';
  return 'awaiting-acknowledgement';
}

function attested(action: AttestedAction | undefined): HolderProgress {
  switch (action) {
    case undefined:
      return 'acknowledged-without-attestation';
    case 'deleted':
    case 'derived-data-deleted':
      return 'attested-deleted';
    case 'retained':
      return 'retained-with-basis';
    default: {
      const _never: never = action;
      return _never;
    }
  }
}

/**
 * A withdrawal's status: `determining-holders` until the holders are known, `propagating` while a
 * holder has not acknowledged (`overdue` when one of them is past due), `completed` once
 * withdrawal.completed is recorded.
 */
export const WITHDRAWAL_PROGRESS = ['determining-holders', 'propagating', 'overdue', 'completed'] as const;
export type WithdrawalProgress = (typeof WITHDRAWAL_PROGRESS)[number];

export function withdrawalProgress(
  w: { readonly holdersKnown: boolean; readonly completed: boolean },
  holders: readonly HolderProgress[],
): WithdrawalProgress {
  if (w.completed) return 'completed';
  if (!w.holdersKnown) return 'determining-holders';
  return holders.includes('overdue') ? 'overdue' : 'propagating';
}

/**
 * Withdrawals started before this instant and still running are overdue as a whole (every notice of
 * a withdrawal is sent when it starts, so all were due by then): the dispatcher's gauge.
 */
export function overdueIfStartedBefore(now: string, policy: Policy): string {
  return addDays(now, -policy.propagation.ackWithinDays);
}

// --- shared -------------------------------------------------------------------------------------

/** `days` before `due`, latest reminder last, none before `notBefore`, each instant once. */
function remindersBefore(due: string, daysBefore: readonly number[], notBefore: string): string[] {
  const times = [...daysBefore]
    .sort((a, b) => b - a)
    .map((d) => addDays(due, -d))
    .filter((t) => compareUtc(t, notBefore) > 0);
  return [...new Set(times)];
}
