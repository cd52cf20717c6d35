// The life of one consent after consent.given (workflow id coolingOff:<consentId>), on the policy
// version recorded on the consent and by the rules of contracts/consent/lifecycle.ts:
//   cooling-off (policy length; longer for acute/emergency capture) — a covering withdrawal or
//   opt-out meanwhile → consent.cancelled;
//   acute/emergency capture: then wait for a reconfirmation that counts (made after the cooling-off,
//   within the window), reminding the emitting organisation before the window closes — none →
//   consent.lapsed (consent.expired when validUntil closes the window first);
//   otherwise consent.effective; given by someone acting for the person whose authority ends (a
//   parent's, at the child's 16th birthday): from then (or from effective, if later) the person's own
//   reconfirmation within the policy's personReconfirmation window, the organisation told as it opens
//   and reminded before it closes — none → consent.lapsed at its end;
//   with validUntil, later a re-consent prompt and consent.expired.
// Before writing consent.effective the projection is asked once more whether a refusal cancels the
// consent (contracts cancellationOf), so a refusal the dispatcher could not attribute still wins.
// Deterministic: times come from the input and the workflow clock; the ledger writes are activities
// with deterministic event ids.
import { log, patched, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { ConsentOutcome, ConsentStatus } from '../contracts/consent/fold.js';
import {
  coolingOffEndsAt,
  expiresDuringCoolingOff,
  countedReconfirmation,
  personReconfirmation,
  personReconfirmationReminderTimes,
  personReconfirmationWindow,
  reconfirmationReminderTimes,
  reconfirmationWindow,
  requiresReconfirmation,
  type ConsentTerms,
  type PersonReconfirmationWindow,
} from '../contracts/consent/lifecycle.js';
import type { ExpressedBy } from '../contracts/consent/expressedBy.js';
import type { Activities } from './activities/index.js';
import { waitUntil } from './clock.js';
import { settledBy } from './consentCheck.js';
import { awaitExpiry } from './expiry.js';
import { cancelSignal, phaseQuery, reconfirmSignal } from './signals.js';
import type { CancelArgs, ConsentInput, ReconfirmArgs } from './types.js';

// Unlimited attempts: a ledger or projection outage delays the outcome, it never loses it.
const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };
const { recordConsentOutcome, checkConsent, notifyOrganisation } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry,
});
// The projection's last word and the outcome in one local activity: it runs in the workflow task that
// follows the timer, so no activity task is scheduled, dispatched and reported through the server.
// In a burst of consents (10,000 timers firing together) those were about half of each consent's
// history writes, all behind the dev server's single shard. Idempotent (deterministic event id), so
// the re-run after a lost workflow task writes nothing new.
const { concludeConsent } = proxyLocalActivities<Activities>({ startToCloseTimeout: '1m', retry });

export async function coolingOff(input: ConsentInput): Promise<ConsentOutcome> {
  const { consentId, subject, policy } = input;
  const terms: ConsentTerms = {
    givenAt: input.occurredAt,
    setting: input.setting,
    validUntil: input.validUntil,
    authorityEndsAt: input.authorityEndsAt,
  };
  let phase: ConsentStatus = requiresReconfirmation(input.setting) ? 'awaiting-reconfirmation' : 'cooling-off';
  let cancel: CancelArgs | undefined;
  const reconfirmations: ReconfirmArgs[] = []; // in the order received: ledger order
  setHandler(cancelSignal, (c) => {
    cancel ??= c;
  });
  setHandler(reconfirmSignal, (r) => {
    reconfirmations.push(r);
  });
  setHandler(phaseQuery, () => phase);
  // Histories recorded before concludeConsent existed replay with their two activities.
  const inOneStep = patched('consent-concluded-in-one-local-step');

  const outcome = async (kind: ConsentOutcome, occurredAt: string, by?: ExpressedBy): Promise<ConsentOutcome> => {
    await recordConsentOutcome({
      kind,
      consentId,
      subject,
      occurredAt,
      policyVersion: input.policyVersion,
      ...(input.validUntil !== undefined && { validUntil: input.validUntil }),
      ...(by && { expressedBy: by }),
    });
    phase = kind;
    return kind;
  };
  /** The projection's last word before acting: a refusal it knows of cancels; an ended consent stays ended. */
  const settled = async (): Promise<ConsentOutcome | undefined> => {
    const settles = settledBy(await checkConsent({ consentId, subject, position: input.position }));
    if (settles?.kind === 'cancel') {
      const { occurredAt, expressedBy } = settles.cancellation;
      return outcome('cancelled', occurredAt, expressedBy);
    }
    if (settles?.kind !== 'ended') return undefined;
    phase = settles.status;
    return settles.status;
  };

  // 1. Cooling-off (ends early if validUntil comes first).
  const endsAt = coolingOffEndsAt(input.occurredAt, input.setting, policy);
  const expiry = expiresDuringCoolingOff(terms, policy);
  const cancelled = () => cancel !== undefined;
  if (await waitUntil(expiry ?? endsAt, cancelled)) {
    return outcome('cancelled', cancel!.occurredAt, cancel!.expressedBy);
  }
  if (expiry !== undefined) return outcome('expired', expiry);
  // Acute capture asks before waiting for the reconfirmation too; routine capture concludes below.
  if (!inOneStep || requiresReconfirmation(input.setting)) {
    const early = await settled();
    if (early) return early;
  }

  // 2. Acute / emergency capture: a reconfirmation that counts, within the window.
  let effectiveAt = endsAt;
  if (requiresReconfirmation(input.setting)) {
    const reconfirmed = await awaitReconfirmation(input, terms, reconfirmations, cancelled);
    if (cancel) return outcome('cancelled', cancel.occurredAt, cancel.expressedBy);
    if (reconfirmed.kind === 'closed') return outcome(reconfirmed.then, reconfirmed.at);
    effectiveAt = reconfirmed.at;
    if (!inOneStep) {
      const late = await settled();
      if (late) return late;
    }
  }

  // 3. Effective (unless the projection's last word cancels); 4. a proxy's authority ends: the
  // person's own reconfirmation; 5. expiry.
  if (inOneStep) {
    const concluded = await concludeConsent({
      consentId,
      subject,
      position: input.position,
      effectiveAt,
      policyVersion: input.policyVersion,
      ...(input.validUntil !== undefined && { validUntil: input.validUntil }),
    });
    phase = concluded;
    if (concluded !== 'effective') return concluded;
  } else await outcome('effective', effectiveAt);
  phase = 'effective';
  const personWindow = personReconfirmationWindow(terms, effectiveAt, policy);
  if (personWindow) {
    const wait = await awaitPersonReconfirmation(input, personWindow, reconfirmations);
    if (wait === 'closed') return outcome('lapsed', personWindow.by);
    if (wait === 'person-chose') {
      log.info('the person chose for themselves: no more reminders, no lapse for the proxy’s consent');
      return 'effective';
    }
  }
  if (input.validUntil === undefined) return 'effective';
  const expired = await awaitExpiry({ ...input, validUntil: input.validUntil }, effectiveAt);
  phase = expired;
  return expired;
}

/**
 * A consent a proxy gave, once that proxy's authority has ended: waits for the person's own
 * reconfirmation within the window, telling the organisation as it opens and reminding it before it
 * closes. 'reconfirmed': it stays in force; 'closed': the window closed without; 'person-chose': the
 * person made a choice of their own meanwhile (contracts personsLaterChoice), which decides instead.
 */
async function awaitPersonReconfirmation(
  input: ConsentInput,
  window: PersonReconfirmationWindow,
  reconfirmations: readonly ReconfirmArgs[],
): Promise<'reconfirmed' | 'closed' | 'person-chose'> {
  const reconfirmed = () => personReconfirmation(window, reconfirmations) !== undefined;
  // Histories recorded before this check existed replay without it (no checkConsent there).
  const asksProjection = patched('person-choice-ends-proxy-wait');
  const personChose = async () =>
    asksProjection &&
    (await checkConsent({ consentId: input.consentId, subject: input.subject, position: input.position }))
      .personsChoice !== undefined;
  let n = 0;
  for (const at of personReconfirmationReminderTimes(window, input.policy)) {
    if (await waitUntil(at, reconfirmed)) return 'reconfirmed';
    if (await personChose()) return 'person-chose';
    await notifyOrganisation({
      consentId: input.consentId,
      subject: input.subject,
      organisation: input.organisation,
      kind: 'person-reconfirmation-reminder',
      dueBy: window.by,
      n: ++n,
    });
  }
  if (await waitUntil(window.by, reconfirmed)) return 'reconfirmed';
  return (await personChose()) ? 'person-chose' : 'closed';
}

type Reconfirmed = { kind: 'counted'; at: string } | { kind: 'closed'; then: 'lapsed' | 'expired'; at: string };

/** Waits for a counting reconfirmation (or a cancellation), reminding the organisation on the way. */
async function awaitReconfirmation(
  input: ConsentInput,
  terms: ConsentTerms,
  reconfirmations: readonly ReconfirmArgs[],
  cancelled: () => boolean,
): Promise<Reconfirmed> {
  const { policy } = input;
  const window = reconfirmationWindow(terms, policy);
  const counted = () => countedReconfirmation(terms, reconfirmations, policy);
  const ready = () => cancelled() || counted() !== undefined;
  let n = 0;
  for (const at of reconfirmationReminderTimes(terms, policy)) {
    if (await waitUntil(at, ready)) break;
    await notifyOrganisation({
      consentId: input.consentId,
      subject: input.subject,
      organisation: input.organisation,
      kind: 'reconfirmation-reminder',
      dueBy: window.by,
      n: ++n,
    });
  }
  if (!(await waitUntil(window.by, ready))) return { kind: 'closed', then: window.then, at: window.by };
  const c = counted();
  if (!c) return { kind: 'closed', then: window.then, at: window.by }; // cancelled: the caller records it
  if (reconfirmations[0] !== c) log.info('reconfirmations made outside the window were not counted');
  return { kind: 'counted', at: c.occurredAt };
}
