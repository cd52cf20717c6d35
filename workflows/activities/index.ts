// Activities: everything the workflows do to the outside world. Built by a factory so the worker
// injects real clients (services/worker/main.ts) and tests can build the same with their own.
// Every activity is idempotent: ledger events have deterministic ids and go through appendOnce
// (a retry writes nothing new), store writes are conditional upserts.
import type { LedgerAppender } from '../../ledger/appendOnce.js';
import type { ProjectionReader } from '../../projections/reader.js';
import type { NoticeStore } from '../../revocations/notices.js';
import type { WebhookRegistry } from '../../revocations/webhooks.js';
import type { Producer } from '../../adapters/kafka.js';
import type { Logger } from '../../adapters/logger.js';
import type { OrganisationNotifications } from './organisationNotifications.js';
import { consentActivities } from './consent.js';
import { propagationActivities } from './propagation.js';

export interface ActivityDeps {
  ledger: LedgerAppender;
  projection: Pick<ProjectionReader, 'subject' | 'dataUser' | 'waitForOffset'>;
  notices: NoticeStore;
  webhooks: WebhookRegistry;
  /** Producer and topic for consent.revocations.v1 (keyed by data user). */
  revocations: { producer: Producer; topic: string };
  notifications: OrganisationNotifications;
  log: Logger;
  now: () => Date;
  /** How long an activity waits for the projection to reach a ledger position before failing (and retrying). */
  projectionWaitMs: number;
  webhookTimeoutMs: number;
}

export function createActivities(deps: ActivityDeps) {
  return { ...consentActivities(deps), ...propagationActivities(deps) };
}
export type Activities = ReturnType<typeof createActivities>;
