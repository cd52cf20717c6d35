// What the projection's last word on a consent (the checkConsent activity's answer) settles, one rule
// for the workflow's own check and the concludeConsent activity: a refusal it knows of cancels the
// consent (recorded as consent.cancelled); a consent already ended stays ended (nothing written);
// otherwise nothing is settled and the lifecycle goes on. Pure: workflow code imports it.
import type { Cancellation } from '../contracts/consent/cancellation.js';
import type { ConsentCheck } from './activities/consent.js';

export type Settled =
  { kind: 'cancel'; cancellation: Cancellation } | { kind: 'ended'; status: 'cancelled' | 'lapsed' | 'expired' };

export function settledBy(check: ConsentCheck): Settled | undefined {
  if (check.cancellation) return { kind: 'cancel', cancellation: check.cancellation };
  const { status } = check;
  if (status === 'cancelled' || status === 'lapsed' || status === 'expired') return { kind: 'ended', status };
  return undefined;
}
