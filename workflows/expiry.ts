// Expiry of an effective consent with validUntil: a re-consent prompt to the emitting organisation
// beforehand (lifecycle reconsentPromptAt), consent.expired when it passes. Runs inside the consent's
// coolingOff workflow once the consent is effective (one workflow per consent: one id, one history).
import { proxyActivities } from '@temporalio/workflow';
import { reconsentPromptAt } from '../contracts/consent/lifecycle.js';
import type { Activities } from './activities/index.js';
import { waitUntil } from './clock.js';
import type { ConsentInput } from './types.js';

const { recordConsentOutcome, notifyOrganisation } = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

export async function awaitExpiry(
  input: ConsentInput & { validUntil: string },
  effectiveAt: string,
): Promise<'expired'> {
  await waitUntil(reconsentPromptAt(input.validUntil, effectiveAt, input.policy), () => false);
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
