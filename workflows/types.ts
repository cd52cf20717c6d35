// Inputs, signals and results shared by the workflows, the dispatcher that starts them and the routes
// that signal them. Types and constants only (safe inside the workflow sandbox).
import type { Attestation } from '../contracts/consent/attestation.js';
import type { ExpressedBy } from '../contracts/consent/expressedBy.js';
import type { Policy } from '../contracts/consent/policy.js';
import type { EventPosition } from '../contracts/consent/order.js';
import type { CaptureSetting, Scope } from '../contracts/consent/vocabulary.js';

/** Temporal search attributes registered on the server (infra/temporal/temporal.sh). */
export const SEARCH_ATTRIBUTES = { subject: 'SubjectPseudonym', eventType: 'ConsentEventType' } as const;

/** Workflow ids are business keys derived from the ledger event, so a re-delivered event can never
 *  start a second workflow. */
export const workflowIds = {
  coolingOff: (consentId: string) => `coolingOff:${consentId}`,
  withdrawal: (withdrawalId: string) => `withdrawal:${withdrawalId}`,
  /** The notice to the data user of a release recorded after a refusal (its id derives from the release event). */
  releaseAfterRefusal: (noticeId: string) => `releaseAfterRefusal:${noticeId}`,
} as const;

/** Notice ids of releases after refusal start with this (activities/ids.ts releaseNoticeIdFor). */
export const RELEASE_NOTICE_PREFIX = 'ntr';

/** The propagation workflow waiting for the acknowledgement of `noticeId`, a notice of `withdrawalId`. */
export function propagationWorkflowId(withdrawalId: string, noticeId: string): string {
  return noticeId.startsWith(`${RELEASE_NOTICE_PREFIX}.`)
    ? workflowIds.releaseAfterRefusal(noticeId)
    : workflowIds.withdrawal(withdrawalId);
}

export interface ConsentInput {
  consentId: string;
  subject: string;
  /** The emitting organisation (reminders and re-consent prompts go to it). */
  organisation: string;
  occurredAt: string;
  setting: CaptureSetting;
  policyVersion: string;
  validUntil?: string;
  /** Given by someone acting for the person whose authority ends then: the person must reconfirm it. */
  authorityEndsAt?: string;
  /** Where the consent.given sits on the ledger: the projection is read once it has applied it. */
  position: EventPosition;
  /** The deployment's policy when the dispatcher started the workflow (durations). */
  policy: Policy;
}

export interface WithdrawalInput {
  /** The refusal the notices carry: a consent.withdrawn, or (releaseAfterRefusal only) a national opt-out. */
  withdrawalId: string;
  subject: string;
  organisation: string;
  occurredAt: string;
  scope: Scope;
  position: EventPosition;
  policy: Policy;
  /** Webhook retry back-off ceiling (ms); the attempts are unlimited. */
  deliveryMaxIntervalMs?: number;
  /**
   * A release recorded after the refusal (contracts releaseAfterRefusal): the one holder is its data
   * user, the notice and ledger ids derive from the release event, and the duty ends with that
   * acknowledgement (no withdrawal.completed: the withdrawal's own propagation writes that).
   */
  releaseAfterRefusal?: { releaseEventId: string; dataUserId: string };
}

/** A withdrawal / opt-out that ends a consent in cooling-off (dispatcher → coolingOff). */
export interface CancelArgs {
  byEventId: string;
  occurredAt: string;
  /** Who refused (absent from signals sent before proxies were recorded: the person). */
  expressedBy?: ExpressedBy;
}
/** consent.reconfirmed (dispatcher → coolingOff). */
export interface ReconfirmArgs {
  eventId: string;
  occurredAt: string;
  /** Who reconfirmed (absent from signals sent before proxies were recorded: the person). */
  expressedBy?: ExpressedBy;
}
/** A data user acknowledged its notice (acknowledgement route → withdrawalPropagation). */
export interface AcknowledgeArgs {
  dataUserId: string;
  noticeId: string;
  at: string;
  /** What the data user attests it did (absent: acknowledged without attestation). */
  attestation?: Attestation;
}

export interface HolderStatus {
  dataUserId: string;
  noticeId?: string;
  acknowledged: boolean;
  overdue: boolean;
}
