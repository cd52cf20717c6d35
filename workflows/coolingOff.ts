// The life of one consent after consent.given (workflow id coolingOff:<consentId>):
//   cooling-off (policy length; longer for acute/emergency capture) — a covering withdrawal or
//   opt-out meanwhile → consent.cancelled;
//   acute/emergency capture: then wait for consent.reconfirmed (made after the cooling-off) within
//   the reconfirmation window, reminding the emitting organisation before it closes — none →
//   consent.lapsed;
//   otherwise consent.effective; with validUntil, later a re-consent prompt and consent.expired.
// Before writing consent.effective the projection is asked once more whether a refusal cancels the
// consent (contracts cancellationOf), so a refusal the dispatcher could not attribute still wins.
// Deterministic: times come from the input and the workflow clock; the ledger writes are activities
// with deterministic event ids.
import { log, proxyActivities, setHandler } from '@temporalio/workflow';
import { addDays, coolingOffEndsAt, reconfirmationDueBy, requiresReconfirmation } from '../contracts/consent/policy.js';
import { compareUtc, utcMillis } from '../contracts/consent/primitives.js';
import type { Activities } from './activities/index.js';
import { laterOf, waitUntil } from './clock.js';
import { awaitExpiry } from './expiry.js';
import { cancelSignal, phaseQuery, reconfirmSignal } from './signals.js';
import type { CancelArgs, ConsentInput, ConsentOutcome, ConsentPhase, ReconfirmArgs } from './types.js';

const { recordConsentOutcome, checkConsent, notifyOrganisation } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  // Unlimited attempts: a ledger or projection outage delays the outcome, it never loses it.
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** When to remind the organisation during the reconfirmation window: half way, and a day before it closes. */
export function reconfirmationReminders(windowStart: string, dueBy: string): string[] {
  const mid = new Date((utcMillis(windowStart) + utcMillis(dueBy)) / 2).toISOString();
  const dayBefore = addDays(dueBy, -1);
  return [...new Set([mid, ...(compareUtc(dayBefore, mid) > 0 ? [dayBefore] : [])])];
}

export async function coolingOff(input: ConsentInput): Promise<ConsentOutcome> {
  let phase: ConsentPhase = 'cooling-off';
  let cancel: CancelArgs | undefined;
  const reconfirmations: ReconfirmArgs[] = [];
  setHandler(cancelSignal, (c) => {
    cancel ??= c;
  });
  setHandler(reconfirmSignal, (r) => {
    reconfirmations.push(r);
  });
  setHandler(phaseQuery, () => phase);

  const outcome = async (kind: ConsentOutcome, occurredAt: string): Promise<ConsentOutcome> => {
    await recordConsentOutcome({
      kind,
      consentId: input.consentId,
      subject: input.subject,
      occurredAt,
      policyVersion: input.policyVersion,
      ...(input.validUntil !== undefined && { validUntil: input.validUntil }),
    });
    phase = kind;
    return kind;
  };
  const { consentId, subject, policy } = input;

  // 1. Cooling-off (ends early if validUntil comes first).
  const endsAt = coolingOffEndsAt(input.occurredAt, input.setting, policy);
  const expiresFirst = input.validUntil !== undefined && compareUtc(input.validUntil, endsAt) <= 0;
  if (await waitUntil(expiresFirst ? input.validUntil! : endsAt, () => cancel !== undefined))
    return outcome('cancelled', cancel!.occurredAt);
  if (expiresFirst) return outcome('expired', input.validUntil!);

  const settled = async (): Promise<ConsentOutcome | undefined> => {
    const check = await checkConsent({ consentId, subject, position: input.position });
    if (check.cancellation) return outcome('cancelled', check.cancellation.occurredAt);
    if (check.status === 'cancelled' || check.status === 'lapsed' || check.status === 'expired') {
      phase = check.status;
      return check.status;
    }
    return undefined;
  };
  let settledOutcome = await settled();
  if (settledOutcome) return settledOutcome;

  // 2. Acute / emergency capture: a reconfirmation made after the cooling-off, within the window.
  let effectiveAt = endsAt;
  if (requiresReconfirmation(input.setting)) {
    phase = 'awaiting-reconfirmation';
    const dueBy = reconfirmationDueBy(input.occurredAt, policy);
    const counted = () => reconfirmations.find((r) => compareUtc(r.occurredAt, endsAt) >= 0);
    const ready = () => cancel !== undefined || counted() !== undefined;
    let n = 0;
    for (const at of reconfirmationReminders(endsAt, dueBy)) {
      if (await waitUntil(at, ready)) break;
      await notifyOrganisation({
        consentId,
        subject,
        organisation: input.organisation,
        kind: 'reconfirmation-reminder',
        dueBy,
        n: ++n,
      });
    }
    if (!(await waitUntil(dueBy, ready))) return outcome('lapsed', dueBy);
    if (cancel) return outcome('cancelled', cancel.occurredAt);
    if (reconfirmations.length > 1 || reconfirmations[0] !== counted())
      log.info('reconfirmations made during the cooling-off were not counted');
    effectiveAt = laterOf(endsAt, counted()!.occurredAt);
    settledOutcome = await settled();
    if (settledOutcome) return settledOutcome;
  }

  // 3. Effective; 4. expiry.
  await outcome('effective', effectiveAt);
  if (input.validUntil === undefined) return 'effective';
  phase = 'effective';
  const expired = await awaitExpiry({ ...input, validUntil: input.validUntil });
  phase = expired;
  return expired;
}
