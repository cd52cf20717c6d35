// Kafka topics, record keys and headers (CloudEvents 1.0 Kafka protocol binding).
//
// Every record another party reads (ledger, revocations, decisions) is a CloudEvent in the
// *structured* content mode: the record value is the whole event as JSON (on the ledger, canonical
// JSON: contracts/consent/canonical.ts), and the one binding header is
// `content-type: application/cloudevents+json; charset=UTF-8`. So the value alone is what is hashed,
// sealed and replayed, and an auditor needs nothing but the values.
//
// No `ce_*` headers: they are the binary mode's attribute headers, and decoders that pick the mode by
// their presence (the Python SDK's from_kafka) read a structured record that carries them as a binary
// one and lose the envelope. Records written before this change carry them; readers here never use
// them (the value is authoritative), and the auditor reads the id from the value when they are absent.
// `traceparent`/`tracestate` carry the W3C trace context (OpenTelemetry) and are not part of the
// event, so they never affect its hash.
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

/** Binary-mode attribute headers that records written before the structured-only change carry. */
export const LEGACY_CE_HEADERS = { id: 'ce_id' } as const;

export const CONTENT_TYPE_HEADER = 'content-type';

/** Content type of a structured-mode CloudEvent record. */
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

/** W3C trace-context headers (OpenTelemetry propagation through Kafka), as the AsyncAPI document names them. */
export const TRACE_HEADERS = { traceparent: 'traceparent', tracestate: 'tracestate' } as const;

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

/** The Kafka-binding headers of a structured-mode CloudEvent record (trace headers are added by the producer). */
export function structuredModeHeaders(): Record<string, string> {
  return { [CONTENT_TYPE_HEADER]: STRUCTURED_CONTENT_TYPE };
}
