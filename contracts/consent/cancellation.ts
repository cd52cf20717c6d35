// Which refusal cancels a consent that is still in cooling-off (or awaiting reconfirmation). Pure.
// The dispatcher asks `consentsCancelledBy` when a withdrawal / opt-out arrives, to signal the
// cooling-off workflows it ends; the cooling-off workflow asks `cancellationOf` once more before it
// writes consent.effective, so a refusal the dispatcher could not attribute (e.g. a consent recorded
// on the ledger after the withdrawal that post-dates it) still stops it.
//
// A refusal cancels a pending consent when it comes AFTER the consent in fold order and its scope
// covers the WHOLE scope of the consent. A narrower one does not cancel it: consent.cancelled has no
// scope, so cancelling would also take away the uses the person did not refuse; the narrower refusal
// already wins over the consent for its own part in decide() (it is newer), now and once effective.
import { BY_THE_PERSON, type ExpressedBy } from './expressedBy.js';
import type { ConsentFact, Fact, SubjectState } from './fold.js';
import { ANY, SCOPE_DIMENSIONS, type Scope } from './vocabulary.js';

export interface Cancellation {
  /** The consent.given that is cancelled. */
  readonly consentId: string;
  /** The withdrawal or opt-out that cancels it. */
  readonly byEventId: string;
  /** When the person refused (the cancellation's occurredAt). */
  readonly occurredAt: string;
  /** Who refused (the cancellation says the same). */
  readonly expressedBy: ExpressedBy;
}

/** True when every use `inner` allows is within `outer`. */
export function scopeWithin(inner: Scope, outer: Scope): boolean {
  return SCOPE_DIMENSIONS.every((d) => {
    const o = outer[d];
    const i = inner[d];
    if (o === ANY) return true;
    if (i === ANY) return false;
    return (i as readonly string[]).every((v) => (o as readonly string[]).includes(v));
  });
}

export function isRefusal(f: Fact): boolean {
  return f.kind === 'withdrawal' || f.kind === 'opt-out';
}

function stillPending(c: ConsentFact): boolean {
  return c.status === 'cooling-off' || c.status === 'awaiting-reconfirmation';
}

/** The first refusal after the consent that cancels it, while it is still pending; undefined otherwise
 *  (unknown consent, already effective or ended, or no covering refusal after it). */
export function cancellationOf(state: SubjectState, consentId: string): Cancellation | undefined {
  const at = state.facts.findIndex((f) => f.kind === 'consent' && f.eventId === consentId);
  if (at < 0) return undefined;
  const consent = state.facts[at] as ConsentFact;
  if (!stillPending(consent)) return undefined;
  const by = state.facts.slice(at + 1).find((f) => isRefusal(f) && scopeWithin(consent.scope, f.scope));
  return by
    ? { consentId, byEventId: by.eventId, occurredAt: by.occurredAt, expressedBy: by.expressedBy ?? BY_THE_PERSON }
    : undefined;
}

/** The pending consents that the withdrawal / opt-out `refusalId` cancels (each cancelled by its FIRST
 *  covering refusal, so an earlier refusal keeps the attribution). */
export function consentsCancelledBy(state: SubjectState, refusalId: string): Cancellation[] {
  const at = state.facts.findIndex((f) => f.eventId === refusalId);
  if (at < 0 || !isRefusal(state.facts[at]!)) return [];
  return state.facts
    .slice(0, at)
    .flatMap((f) => (f.kind === 'consent' ? [cancellationOf(state, f.eventId)] : []))
    .filter((c): c is Cancellation => c?.byEventId === refusalId);
}
