// The person's own choice made after a consent someone else gave for them. The person's own later
// choice always wins over a proxy's (DESIGN), so once they have chosen — a withdrawal or opt-out of
// their own covering the consent, or a consent of their own that took effect and replaced it
// (supersededConsents) — the lifecycle stops asking for their reconfirmation of the proxy's consent
// and writes no lapse for it: it no longer counts either way. Pure.
import { isRefusal, scopeWithin } from './cancellation.js';
import { supersededConsents } from './decide.js';
import type { Fact, SubjectState } from './fold.js';

export interface PersonsChoice {
  /** The person's withdrawal / opt-out, or their own consent. */
  readonly eventId: string;
  readonly kind: 'refused' | 'consented';
  readonly occurredAt: string;
}

const byThePerson = (f: Fact) => f.expressedBy === undefined || f.expressedBy.role === 'person';

/** The person's own choice after the proxy's consent `consentId` that decides for it; undefined when
 *  there is none (or the consent is the person's own, or unknown). */
export function personsLaterChoice(state: SubjectState, consentId: string): PersonsChoice | undefined {
  const at = state.facts.findIndex((f) => f.kind === 'consent' && f.eventId === consentId);
  const consent = state.facts[at];
  if (consent?.kind !== 'consent' || byThePerson(consent)) return undefined;
  const later = state.facts.slice(at + 1);
  const refusal = later.find((f) => isRefusal(f) && byThePerson(f) && scopeWithin(consent.scope, f.scope));
  if (refusal) return { eventId: refusal.eventId, kind: 'refused', occurredAt: refusal.occurredAt };
  if (!supersededConsents(state.facts).has(consentId)) return undefined;
  const own = later.find((f) => f.kind === 'consent' && byThePerson(f) && f.effective !== undefined);
  return own && { eventId: own.eventId, kind: 'consented', occurredAt: own.occurredAt };
}
