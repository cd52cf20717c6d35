// Kafka topics, record keys and headers (CloudEvents 1.0 Kafka protocol binding).
//
// Ledger records use the *structured* content mode: the record value is the whole CloudEvent as
// canonical JSON (contracts/consent/canonical.ts), so the value alone is what is hashed, sealed
// and replayed, and an auditor needs nothing but the values. The `ce_*` headers repeat the
// routing attributes (binary-mode names) so consumers can filter and trace without parsing the
// value; they are a convenience copy and never authoritative. `traceparent`/`tracestate` carry the
// W3C trace context (OpenTelemetry) and are not part of the event, so they never affect its hash.
import type { LedgerEvent } from './consent/events.js';

/** Topic names. (Partition counts and retention configs live with the stack: infra/kafka/topics.ts.) */
export const TOPICS = {
  /** The append-only consent ledger: every fact, as a CloudEvent in structured mode. Forever. */
  ledger: 'consent.ledger.v1',
  /** Revocation notices for data users (pull alternative to the signed webhooks). */
  revocations: 'consent.revocations.v1',
  /** Decision log: each permit/deny with its reasons and the ledger event ids it rests on. */
  decisions: 'consent.decisions.v1',
  /** Signed checkpoints over ledger ranges (tamper evidence), written by the sealer. */
  checkpoints: 'consent.checkpoints.v1',
  /** Records a consumer could not process; origin in DEADLETTER_HEADERS, never the payload's meaning. */
  deadLetter: 'consent.deadletter.v1',
} as const;

/** What each topic's record key is (all keys are UTF-8 strings). */
export const TOPIC_KEYS: { readonly [K in keyof typeof TOPICS]: string } = {
  ledger: 'event subject: sub_… pseudonym (du_… for dataUser.* events) — keeps each subject in order',
  revocations: 'dataUserId (du_…) — each data user reads its own notices in order',
  decisions: 'subject (sub_…)',
  checkpoints: 'ledger partition number, as a decimal string',
  deadLetter: 'the original record key',
};

/** CloudEvents Kafka binding header names (binary-mode attribute headers). */
export const CE_HEADERS = {
  id: 'ce_id',
  source: 'ce_source',
  type: 'ce_type',
  specversion: 'ce_specversion',
  subject: 'ce_subject',
  time: 'ce_time',
  dataversion: 'ce_dataversion',
  contentType: 'content-type',
} as const;

/** Content type of a structured-mode CloudEvent record. */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

/** Dead-letter headers: where the failed record came from and why (no payload contents). */
export const DEADLETTER_HEADERS = {
  topic: 'dl_topic',
  partition: 'dl_partition',
  offset: 'dl_offset',
  error: 'dl_error',
} as const;

/** The ledger record key for an event. */
export function ledgerKey(event: Pick<LedgerEvent, 'subject'>): string {
  return event.subject;
}

/** The ce_* and content-type headers for a ledger record (trace headers are added by the producer). */
export function cloudEventHeaders(event: LedgerEvent): Record<string, string> {
  return {
    [CE_HEADERS.id]: event.id,
    [CE_HEADERS.source]: event.source,
    [CE_HEADERS.type]: event.type,
    [CE_HEADERS.specversion]: event.specversion,
    [CE_HEADERS.subject]: event.subject,
    [CE_HEADERS.time]: event.time,
    [CE_HEADERS.dataversion]: String(event.dataversion),
    [CE_HEADERS.contentType]: STRUCTURED_CONTENT_TYPE,
  };
}
