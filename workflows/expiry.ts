// Expiry of an effective consent with validUntil: a re-consent prompt to the emitting organisation
// beforehand, consent.expired when it passes. Runs inside the consent's coolingOff workflow once the
// consent is effective (one workflow per consent: one id, one history, one place to look).
import { proxyActivities } from '@temporalio/workflow';
import { addDays, DAY_MS } from '../contracts/consent/policy.js';
import { utcMillis } from '../contracts/consent/primitives.js';
import type { Activities } from './activities/index.js';
import { waitUntil } from './clock.js';
import type { ConsentInput } from './types.js';

/** Prompt the organisation this long before validUntil (or half way, for a consent valid for less). */
export const RECONSENT_PROMPT_DAYS = 30;

const { recordConsentOutcome, notifyOrganisation } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export function reconsentPromptAt(validUntil: string, now: number): string {
  const lead = Math.min(RECONSENT_PROMPT_DAYS, (utcMillis(validUntil) - now) / DAY_MS / 2);
  return addDays(validUntil, -Math.max(0, lead));
}

export async function awaitExpiry(input: ConsentInput & { validUntil: string }): Promise<'expired'> {
  const promptAt = reconsentPromptAt(input.validUntil, Date.now());
  await waitUntil(promptAt, () => false);
  await notifyOrganisation({
    consentId: input.consentId,
    subject: input.subject,
    organisation: input.organisation,
    kind: 're-consent-prompt',
    dueBy: input.validUntil,
    n: 1,
  });
  await waitUntil(input.validUntil, () => false);
  await recordConsentOutcome({
    kind: 'expired',
    consentId: input.consentId,
    subject: input.subject,
    occurredAt: input.validUntil,
    policyVersion: input.policyVersion,
    validUntil: input.validUntil,
  });
  return 'expired';
}
