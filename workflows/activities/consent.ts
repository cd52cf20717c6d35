// Activities of the consent lifecycle (cooling-off, reconfirmation, expiry).
import { cancellationOf, type Cancellation } from '../../contracts/consent/cancellation.js';
import { personsLaterChoice, type PersonsChoice } from '../../contracts/consent/personChoice.js';
import { BY_THE_PERSON, type ExpressedBy } from '../../contracts/consent/expressedBy.js';
import type { ConsentOutcome, ConsentStatus } from '../../contracts/consent/fold.js';
import type { EventPosition } from '../../contracts/consent/order.js';
import type { ActivityDeps } from './index.js';
import { projectionBehind } from './projectionBehind.js';
import { settledBy } from '../consentCheck.js';
import { systemEventId } from './ids.js';
import { appendSystemEvent, systemEvent } from './ledgerEvents.js';
import type { NotificationKind } from './organisationNotifications.js';

export interface OutcomeArgs {
  kind: ConsentOutcome;
  consentId: string;
  subject: string;
  occurredAt: string;
  policyVersion: string;
  validUntil?: string;
  /** consent.cancelled: who refused (default: the person). */
  expressedBy?: ExpressedBy;
}

export interface ConsentCheck {
  status?: ConsentStatus;
  cancellation?: Cancellation;
  /** For a proxy's consent: the person's own later choice that decides for it (contracts personsLaterChoice). */
  personsChoice?: PersonsChoice;
}

/** concludeConsent's arguments: the consent, and when it becomes effective unless a refusal cancels it. */
export interface ConcludeArgs {
  consentId: string;
  subject: string;
  position: EventPosition;
  effectiveAt: string;
  policyVersion: string;
  validUntil?: string;
}

export function consentActivities(deps: ActivityDeps) {
  const activities = {
    /** Writes consent.effective / cancelled / lapsed / expired with the id `wf.<consentId>.<kind>`. */
    async recordConsentOutcome(a: OutcomeArgs): Promise<{ eventId: string; written: boolean }> {
      const id = systemEventId(a.consentId, a.kind);
      const now = deps.now();
      const event = (() => {
        switch (a.kind) {
          case 'effective':
            return systemEvent(
              'consent.effective',
              id,
              a.subject,
              { occurredAt: a.occurredAt, consentId: a.consentId, policyVersion: a.policyVersion },
              now,
            );
          case 'lapsed':
            return systemEvent(
              'consent.lapsed',
              id,
              a.subject,
              { occurredAt: a.occurredAt, consentId: a.consentId, policyVersion: a.policyVersion },
              now,
            );
          case 'cancelled':
            return systemEvent(
              'consent.cancelled',
              id,
              a.subject,
              { occurredAt: a.occurredAt, consentId: a.consentId, expressedBy: a.expressedBy ?? BY_THE_PERSON },
              now,
            );
          case 'expired':
            return systemEvent(
              'consent.expired',
              id,
              a.subject,
              { occurredAt: a.occurredAt, consentId: a.consentId, validUntil: a.validUntil ?? a.occurredAt },
              now,
            );
        }
      })();
      const written = await appendSystemEvent(deps.ledger, event);
      deps.log.info({ eventId: id, type: event.type, written }, 'consent outcome recorded');
      return { eventId: id, written };
    },

    /**
     * The consent as the projection knows it once it has applied at least the consent itself: its
     * status and any withdrawal / opt-out that cancels it (contracts cancellationOf). Fails (and is
     * retried) while the projection lags, rather than guessing.
     */
    async checkConsent(a: { consentId: string; subject: string; position: EventPosition }): Promise<ConsentCheck> {
      const reached = await deps.projection.waitForOffset(
        a.position.partition,
        a.position.offset,
        deps.projectionWaitMs,
      );
      if (!reached) throw projectionBehind('consent');
      const state = await deps.projection.subject(a.subject);
      const fact = state?.facts.find((f) => f.kind === 'consent' && f.eventId === a.consentId);
      if (!state || fact?.kind !== 'consent') return {};
      const cancellation = cancellationOf(state, a.consentId);
      const personsChoice = personsLaterChoice(state, a.consentId);
      return { status: fact.status, ...(cancellation && { cancellation }), ...(personsChoice && { personsChoice }) };
    },

    /**
     * The projection's last word, then the outcome on the ledger, in one step (the two always ran
     * together, each its own round trip through Temporal): a refusal it knows of → consent.cancelled;
     * an ended consent stays ended (nothing written); otherwise consent.effective at `effectiveAt`.
     */
    async concludeConsent(a: ConcludeArgs): Promise<ConsentOutcome> {
      const settles = settledBy(await activities.checkConsent(a));
      const common = { consentId: a.consentId, subject: a.subject, policyVersion: a.policyVersion };
      if (settles?.kind === 'cancel') {
        const { occurredAt, expressedBy } = settles.cancellation;
        await activities.recordConsentOutcome({ ...common, kind: 'cancelled', occurredAt, expressedBy });
        return 'cancelled';
      }
      if (settles?.kind === 'ended') return settles.status;
      await activities.recordConsentOutcome({
        ...common,
        kind: 'effective',
        occurredAt: a.effectiveAt,
        ...(a.validUntil !== undefined && { validUntil: a.validUntil }),
      });
      return 'effective';
    },

    /** A reminder / prompt to the organisation that recorded the consent (outbox, once per id). */
    async notifyOrganisation(a: {
      consentId: string;
      subject: string;
      organisation: string;
      kind: NotificationKind;
      dueBy: string;
      n: number;
    }): Promise<boolean> {
      const id = `${systemEventId(a.consentId, a.kind)}.${a.n}`;
      const fresh = await deps.notifications.notify({
        _id: id,
        organisation: a.organisation,
        kind: a.kind,
        subject: a.subject,
        consentId: a.consentId,
        dueBy: a.dueBy,
        createdAt: deps.now().toISOString(),
      });
      if (fresh)
        deps.log.info({ notificationId: id, kind: a.kind, organisation: a.organisation }, 'organisation notified');
      return fresh;
    },
  };
  return activities;
}
