// CloudEvents 1.0 on the topics other parties read besides the ledger: revocation notices
// (consent.revocations.v1, read by data users) and the decision log (consent.decisions.v1, read by
// auditors). Like the ledger, each record is a structured-mode CloudEvent (the value is the whole
// event as JSON, header `content-type: application/cloudevents+json`), with a `dataschema` naming the
// JSON Schema of its `data`, so the CloudEvents SDKs' default Kafka decoding reads them as they are.
// One zod schema per payload is the validator, the TS type and the AsyncAPI payload schema.
import * as z from 'zod';
import { REASON_CODES } from './consent/decide.js';
import { DATA_CONTENT_TYPE } from './consent/events.js';
import { ScopeSchema } from './consent/vocabulary.js';

const ts = z.string().meta({ format: 'date-time' });

export const RevocationNoticeSchema = z
  .object({
    noticeId: z.string().meta({
      description:
        'One per withdrawal and data user (ntc.<withdrawalId>.<dataUserId>), and one per release recorded after the refusal (ntr.<releaseEventId>.<dataUserId>); the idempotency key of every delivery',
    }),
    withdrawalId: z.string().meta({
      description:
        'The refusal the notice carries: the consent.withdrawn event, or for a release recorded after a national opt-out, the optout.registered event',
    }),
    subject: z.string().meta({ description: 'Pseudonymous subject id' }),
    dataUserId: z.string(),
    scope: ScopeSchema,
    withdrawnAt: ts.meta({ description: 'When the person withdrew' }),
    sentAt: ts,
    dueBy: ts.meta({ description: 'Acknowledge by (propagation SLA)' }),
    releaseEventId: z.string().optional().meta({
      description:
        'Only on the notice of a release recorded after the refusal (ntr.<releaseEventId>.<dataUserId>): the release.recorded event. Delete that data too.',
    }),
    acknowledgePath: z.string().meta({ description: 'Where to POST the acknowledgement (query API)' }),
  })
  .meta({
    id: 'RevocationNotice',
    description:
      'A request to delete a withdrawn subject\'s data. The body of the signed webhook ({type: "revocation.notice" | "revocation.reminder", notice}), an item of GET /v1/revocations, and the data of the consent.revocations.v1 CloudEvent.',
  });
export type RevocationNotice = z.infer<typeof RevocationNoticeSchema>;

export const DecisionRecordSchema = z
  .object({
    kind: z.literal('decision'),
    decisionId: z.string(),
    at: ts.meta({ description: 'When the decision was taken' }),
    dataUserId: z.string(),
    subject: z.string().meta({ description: 'Pseudonymous subject id' }),
    purpose: z.string(),
    dataCategory: z.string(),
    decision: z.enum(['permit', 'deny']),
    reasons: z.array(z.enum(REASON_CODES)),
    eventIds: z.array(z.string()).readonly().meta({ description: 'The ledger events the decision rests on' }),
    policyVersion: z.string(),
    asOf: ts.optional().meta({ description: 'Present when the decision was asked as of a past instant' }),
  })
  .meta({ id: 'DecisionRecord', description: 'One answered decision (POST /v1/decisions).' });

export const FilterRecordSchema = z
  .object({
    kind: z.literal('filter'),
    decisionId: z.string(),
    at: ts,
    dataUserId: z.string(),
    purpose: z.string(),
    dataCategory: z.string(),
    cohortSize: z.number().int(),
    permitted: z.number().int(),
    denied: z.number().int(),
    cohortSha256: z
      .string()
      .meta({ description: 'sha256 over the subject ids in the order sent, each followed by "\\n"' }),
    policyVersion: z.string(),
    ledgerMarks: z
      .record(z.string(), z.string())
      .meta({ description: 'The ledger high-water marks the answers were taken at (partition → offset)' }),
  })
  .meta({ id: 'FilterRecord', description: 'One cohort filter (POST /v1/decisions:filter): counts, not subjects.' });

export type DecisionRecord = z.infer<typeof DecisionRecordSchema>;
export type FilterRecord = z.infer<typeof FilterRecordSchema>;
export type DecisionLogRecord = DecisionRecord | FilterRecord;

/** CloudEvents `type` and `dataschema` of each topic event; the data schema is at version 1. */
export const TOPIC_EVENT_TYPES = {
  revocationNotice: 'revocation.notice',
  decision: 'decision.recorded',
  filter: 'cohort.filtered',
} as const;
export const topicDataSchemaId = (type: string, version = 1) => `urn:consent-ledger:data:${type}:v${version}`;

/** The emitting components (CloudEvents `source`). */
export const TOPIC_EVENT_SOURCES = { revocations: 'sys:workflows', decisions: 'sys:query' } as const;

function envelope<T extends string, S extends z.ZodType>(type: T, source: string, data: S) {
  return z.strictObject({
    specversion: z.literal('1.0'),
    id: z.string().min(1),
    source: z.literal(source),
    type: z.literal(type),
    subject: z.string().min(1),
    time: ts,
    datacontenttype: z.literal(DATA_CONTENT_TYPE),
    dataschema: z.literal(topicDataSchemaId(type)).meta({ format: 'uri' }),
    dataversion: z.literal(1).meta({ type: 'integer' }),
    data,
  });
}

export const RevocationNoticeEventSchema = envelope(
  TOPIC_EVENT_TYPES.revocationNotice,
  TOPIC_EVENT_SOURCES.revocations,
  RevocationNoticeSchema,
).meta({
  description:
    'id = noticeId (a re-publish after a crash repeats it: dedupe by id), subject = the pseudonymous subject, time = when the notice was sent.',
});
export const DecisionEventSchema = envelope(
  TOPIC_EVENT_TYPES.decision,
  TOPIC_EVENT_SOURCES.decisions,
  DecisionRecordSchema,
).meta({ description: 'id = decisionId, subject = the pseudonymous subject asked about, time = when decided.' });
export const FilterEventSchema = envelope(
  TOPIC_EVENT_TYPES.filter,
  TOPIC_EVENT_SOURCES.decisions,
  FilterRecordSchema,
).meta({ description: 'id = decisionId, subject = the asking data user (a cohort has no single subject).' });

export type RevocationNoticeEvent = z.infer<typeof RevocationNoticeEventSchema>;
export type DecisionLogEvent = z.infer<typeof DecisionEventSchema> | z.infer<typeof FilterEventSchema>;

export function revocationNoticeEvent(notice: RevocationNotice): RevocationNoticeEvent {
  const type = TOPIC_EVENT_TYPES.revocationNotice;
  return {
    specversion: '1.0',
    id: notice.noticeId,
    source: TOPIC_EVENT_SOURCES.revocations,
    type,
    subject: notice.subject,
    time: notice.sentAt,
    datacontenttype: DATA_CONTENT_TYPE,
    dataschema: topicDataSchemaId(type),
    dataversion: 1,
    data: notice,
  };
}

export function decisionLogEvent(r: DecisionLogRecord): DecisionLogEvent {
  const common = {
    specversion: '1.0',
    id: r.decisionId,
    source: TOPIC_EVENT_SOURCES.decisions,
    time: r.at,
    datacontenttype: DATA_CONTENT_TYPE,
    dataversion: 1,
  } as const;
  if (r.kind === 'decision') {
    const type = TOPIC_EVENT_TYPES.decision;
    return { ...common, type, subject: r.subject, dataschema: topicDataSchemaId(type), data: r };
  }
  const type = TOPIC_EVENT_TYPES.filter;
  return { ...common, type, subject: r.dataUserId, dataschema: topicDataSchemaId(type), data: r };
}
