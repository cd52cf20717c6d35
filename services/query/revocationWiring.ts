// Builds the revocation routes for a service's composition root in one call: the notice store and
// webhook registry on the service's database, and a Temporal client (connected on first use, so the
// service starts and answers 503 for acknowledgements while Temporal is down). Configuration is read
// by main.ts and passed in; tests pass their own.
import { Router } from 'express';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import type { Db } from '../../adapters/mongo.js';
import { connectTemporalClient } from '../../adapters/temporal.js';
import { DomainError } from '../../contracts/domainError.js';
import { recordedEvent } from '../../ledger/receipts.js';
import { NoticeStore } from '../../revocations/notices.js';
import { WebhookRegistry } from '../../revocations/webhooks.js';
import { acknowledgeSignal } from '../../workflows/signals.js';
import { propagationWorkflowId, type AcknowledgeArgs } from '../../workflows/types.js';
import { revocationRoutes } from './revocationRoutes.js';

export interface RevocationWiring {
  temporal: { address: string; namespace: string };
  /** Derives each data user's webhook secret (WEBHOOK_SIGNING_KEY). */
  webhookSigningKey: Buffer;
  /** How long an acknowledgement waits for Temporal before answering 503. */
  signalTimeoutMs: number;
}

/** Signals the propagation workflow; Temporal unreachable → DomainError 'unavailable' (503). */
export function temporalAcknowledger(client: () => Promise<Client>, timeoutMs: number) {
  return async (withdrawalId: string, args: AcknowledgeArgs): Promise<void> => {
    try {
      const c = await client();
      await c.withDeadline(Date.now() + timeoutMs, () =>
        c.workflow.getHandle(propagationWorkflowId(withdrawalId, args.noticeId)).signal(acknowledgeSignal, args),
      );
    } catch (err) {
      // Closed: it completed, which it only does once every holder acknowledged.
      if (err instanceof WorkflowNotFoundError) return;
      throw new DomainError(
        'unavailable',
        'the workflow service is unavailable; the acknowledgement was kept, retry to complete it',
      );
    }
  };
}

export function revocationRoutesFor(db: Db, wiring: RevocationWiring): Router {
  let connecting: Promise<Client> | undefined;
  const client = () =>
    (connecting ??= connectTemporalClient(wiring.temporal)
      .then((t) => t.client)
      .catch((err: unknown) => {
        connecting = undefined;
        throw err;
      }));
  return revocationRoutes({
    notices: new NoticeStore(db),
    webhooks: new WebhookRegistry(db, wiring.webhookSigningKey),
    acknowledge: temporalAcknowledger(client, wiring.signalTimeoutMs),
    recordedWithdrawal: async (eventId) => {
      const r = await recordedEvent(db, eventId);
      if (r?.event.type !== 'consent.withdrawn') return undefined;
      return { subject: r.event.subject, organisation: r.event.source, withdrawnAt: r.event.data.occurredAt };
    },
    now: () => new Date(),
  });
}
