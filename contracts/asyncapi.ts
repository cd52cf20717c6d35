// AsyncAPI 3 document for the Kafka topics, built from the same zod-generated JSON Schemas that
// validate the events — so the published contract cannot drift from what the code accepts. Every
// channel, message, header and payload is described, and the operations say which service sends or
// receives each (the `x-service` of an operation and its tags).
import { z } from 'zod';
import { DATA_JSON_SCHEMAS, EVENT_JSON_SCHEMAS, type JsonSchema } from './consent/jsonSchema.js';
import { EVENT_TYPES } from './consent/events.js';
import { CheckpointSchema } from './checkpoint.js';
import {
  DEADLETTER_HEADERS,
  STRUCTURED_CONTENT_TYPE,
  TOPICS,
  TOPIC_KEYS,
  TRACE_HEADERS,
  CONTENT_TYPE_HEADER,
} from './topics.js';
import {
  DecisionEventSchema,
  DecisionRecordSchema,
  FilterEventSchema,
  FilterRecordSchema,
  RevocationNoticeEventSchema,
  RevocationNoticeSchema,
  TOPIC_EVENT_TYPES,
  topicDataSchemaId,
} from './topicEvents.js';

const DIALECT = 'application/schema+json;version=draft-2020-12';
const KAFKA_BINDING = '0.5.0';

const messageName = (type: string) => type.replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase());
/** A payload schema with its `$id`. Schemas named for OpenAPI components (meta id) come out of zod as
 *  `$defs` + `$ref`; they are inlined, since a `#/…` ref inside a message resolves against the
 *  AsyncAPI document, not the schema. */
function jsonSchema(schema: z.ZodType, id: string): JsonSchema {
  const { $defs, $schema: _d, ...root } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
  const inline = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(inline);
    if (typeof v !== 'object' || v === null) return v;
    const o = v as Record<string, unknown>;
    const ref = typeof o.$ref === 'string' ? /^#\/\$defs\/(.+)$/.exec(o.$ref) : null;
    if (ref && $defs?.[ref[1]!]) return inline($defs[ref[1]!]);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, inline(x)]));
  };
  return { $id: id, ...(inline(root) as JsonSchema) };
}
const keyBinding = (description: string) => ({
  kafka: { key: { type: 'string', description }, bindingVersion: KAFKA_BINDING },
});
const traceHeaders = {
  [TRACE_HEADERS.traceparent]: {
    type: 'string',
    description: 'W3C trace context of the producing span (OpenTelemetry); not part of the event',
  },
  [TRACE_HEADERS.tracestate]: { type: 'string', description: 'W3C trace state, when the producer has one' },
};
/** Headers of a structured-mode CloudEvent record: content-type is the one binding header. */
const cloudEventHeaders = {
  type: 'object',
  required: [CONTENT_TYPE_HEADER],
  properties: {
    [CONTENT_TYPE_HEADER]: {
      type: 'string',
      const: STRUCTURED_CONTENT_TYPE,
      description: 'CloudEvents Kafka binding, structured content mode: the value is the whole event',
    },
    ...traceHeaders,
  },
};

function cloudEventMessage(type: string, summary: string, schema: JsonSchema, keyDescription: string) {
  return {
    name: type,
    title: type,
    summary,
    contentType: STRUCTURED_CONTENT_TYPE,
    headers: cloudEventHeaders,
    payload: { schemaFormat: DIALECT, schema },
    bindings: keyBinding(keyDescription),
  };
}

function ledgerMessages() {
  return Object.fromEntries(
    EVENT_TYPES.map((type) => [
      messageName(type),
      cloudEventMessage(
        type,
        `CloudEvent ${type}; its data is described by ${String(DATA_JSON_SCHEMAS[type].$id)} (the dataschema attribute)`,
        EVENT_JSON_SCHEMAS[type],
        TOPIC_KEYS.ledger,
      ),
    ]),
  );
}

const forever = { 'cleanup.policy': ['delete'], 'retention.ms': -1 };
const topicBinding = (topic: string, partitions: number) => ({
  kafka: { topic, partitions, topicConfiguration: forever, bindingVersion: KAFKA_BINDING },
});

function channels() {
  return {
    ledger: {
      address: TOPICS.ledger,
      title: 'Consent ledger',
      description:
        'Every consent, opt-out, withdrawal, workflow outcome, data-user registration and release, in order per subject. Append-only, kept forever; readers dedupe by event id and accept every dataversion ever written.',
      messages: ledgerMessages(),
      bindings: topicBinding(TOPICS.ledger, 12),
    },
    revocations: {
      address: TOPICS.revocations,
      title: 'Revocation notices',
      description: `A notice per withdrawal and data user that holds the subject's data; key: ${TOPIC_KEYS.revocations}. The same notice is pushed as a signed webhook and listed by GET /v1/revocations; acknowledge it with POST /v1/revocations/{noticeId}/acknowledgement.`,
      messages: {
        RevocationNotice: cloudEventMessage(
          TOPIC_EVENT_TYPES.revocationNotice,
          'A withdrawn subject whose data this data user holds: delete it and acknowledge',
          jsonSchema(RevocationNoticeEventSchema, 'urn:consent-ledger:event:revocation.notice:v1'),
          TOPIC_KEYS.revocations,
        ),
      },
      bindings: topicBinding(TOPICS.revocations, 6),
    },
    decisions: {
      address: TOPICS.decisions,
      title: 'Decision log',
      description:
        'Every answered decision (who asked, about whom, for what, the answer, reason codes, the ledger events it rests on) and one record per cohort filter. Written with acks=all before the answer is given.',
      messages: {
        DecisionRecorded: cloudEventMessage(
          TOPIC_EVENT_TYPES.decision,
          'One decision (POST /v1/decisions)',
          jsonSchema(DecisionEventSchema, 'urn:consent-ledger:event:decision.recorded:v1'),
          TOPIC_KEYS.decisions,
        ),
        CohortFiltered: cloudEventMessage(
          TOPIC_EVENT_TYPES.filter,
          'One cohort filter (POST /v1/decisions:filter): counts and a sha256 of the cohort',
          jsonSchema(FilterEventSchema, 'urn:consent-ledger:event:cohort.filtered:v1'),
          'the asking data user (du_…)',
        ),
      },
      bindings: topicBinding(TOPICS.decisions, 6),
    },
    checkpoints: {
      address: TOPICS.checkpoints,
      title: 'Signed checkpoints',
      description:
        'Ed25519-signed checkpoints over ledger ranges (tamper evidence; contracts/checkpoint.ts). Plain JSON, not a CloudEvent: the record is the signed object itself, so an auditor verifies exactly the bytes it reads.',
      messages: {
        Checkpoint: {
          name: 'checkpoint',
          title: 'checkpoint',
          summary: 'A signed checkpoint over one partition range of the ledger',
          contentType: 'application/json',
          headers: {
            type: 'object',
            properties: { [CONTENT_TYPE_HEADER]: { type: 'string', const: 'application/json' } },
          },
          payload: { schemaFormat: DIALECT, schema: jsonSchema(CheckpointSchema, 'urn:consent-ledger:checkpoint:v1') },
          bindings: keyBinding(TOPIC_KEYS.checkpoints),
        },
      },
      bindings: topicBinding(TOPICS.checkpoints, 1),
    },
    deadLetter: {
      address: TOPICS.deadLetter,
      title: 'Dead letters',
      description:
        'Records a ledger consumer could not process, exactly as read (key, value), with where they came from and why in headers. Never interpreted.',
      messages: {
        DeadLetter: {
          name: 'dead-letter',
          title: 'dead letter',
          summary: 'A record a consumer could not process',
          contentType: 'application/octet-stream',
          headers: {
            type: 'object',
            required: Object.values(DEADLETTER_HEADERS),
            properties: {
              [DEADLETTER_HEADERS.topic]: { type: 'string', description: 'The topic the record was read from' },
              [DEADLETTER_HEADERS.partition]: { type: 'string', description: 'Its partition (decimal)' },
              [DEADLETTER_HEADERS.offset]: { type: 'string', description: 'Its offset (decimal)' },
              [DEADLETTER_HEADERS.error]: {
                type: 'string',
                description: 'Why it was refused (field names only, never values)',
              },
            },
          },
          payload: { schemaFormat: DIALECT, schema: { description: 'The original record value, unchanged' } },
          bindings: keyBinding(TOPIC_KEYS.deadLetter),
        },
      },
      bindings: topicBinding(TOPICS.deadLetter, 1),
    },
  };
}

type ChannelName = keyof ReturnType<typeof channels>;

function operation(
  action: 'send' | 'receive',
  channel: ChannelName,
  services: string[],
  summary: string,
  messages?: string[],
) {
  const all = Object.keys(channels()[channel].messages);
  return {
    action,
    channel: { $ref: `#/channels/${channel}` },
    summary,
    description: `${action === 'send' ? 'Sent' : 'Received'} by: ${services.join(', ')}.`,
    tags: services.map((name) => ({ name })),
    'x-services': services,
    messages: (messages ?? all).map((m) => ({ $ref: `#/channels/${channel}/messages/${m}` })),
  };
}

function operations() {
  const hospitalTypes = [
    'consent.given',
    'consent.reconfirmed',
    'consent.cancelled',
    'consent.withdrawn',
    'optout.registered',
    'optout.revoked',
  ].map(messageName);
  const workflowTypes = [
    'consent.effective',
    'consent.lapsed',
    'consent.cancelled',
    'consent.expired',
    'revocation.sent',
    'revocation.acknowledged',
    'revocation.overdue',
    'withdrawal.completed',
  ].map(messageName);
  const registryTypes = ['dataUser.registered', 'dataUser.approved', 'release.recorded'].map(messageName);
  return {
    recordHospitalEvents: operation(
      'send',
      'ledger',
      ['ingest'],
      'Hospital and GP submissions (POST /v1/events), idempotent producer, acks=all',
      hospitalTypes,
    ),
    recordWorkflowOutcomes: operation(
      'send',
      'ledger',
      ['worker'],
      'Workflow outcomes (cooling-off, expiry, propagation), deterministic ids',
      workflowTypes,
    ),
    recordRegistryAndReleases: operation(
      'send',
      'ledger',
      ['query'],
      'Data-user registrations, approvals and release records',
      registryTypes,
    ),
    readLedger: operation(
      'receive',
      'ledger',
      ['projector', 'dispatcher', 'sealer', 'audit'],
      'Fold into projections, start workflows, seal, verify and replay',
    ),
    publishRevocations: operation('send', 'revocations', ['worker'], 'One notice per withdrawal and holder'),
    readRevocations: operation(
      'receive',
      'revocations',
      ['data users (client/revocationConsumer.ts)'],
      'A data user reads the notices keyed by its id; dedupe by the CloudEvent id (the noticeId)',
    ),
    logDecisions: operation('send', 'decisions', ['query'], 'Every decision and cohort filter, before answering'),
    readDecisions: operation('receive', 'decisions', ['auditors'], 'Who asked about whom, for what, and the answer'),
    publishCheckpoints: operation('send', 'checkpoints', ['sealer'], 'A signed checkpoint per sealed range'),
    readCheckpoints: operation('receive', 'checkpoints', ['sealer', 'audit'], 'Resume sealing; verify the ledger'),
    divertPoison: operation('send', 'deadLetter', ['projector', 'dispatcher'], 'A record that cannot be processed'),
    readDeadLetters: operation('receive', 'deadLetter', ['operators'], 'Inspect and repair refused records'),
  };
}

/** The data schemas every `dataschema` attribute names, under components (each with its `$id`). */
function dataSchemas() {
  return {
    ...Object.fromEntries(
      EVENT_TYPES.map((t) => [`${messageName(t)}Data`, { schemaFormat: DIALECT, schema: DATA_JSON_SCHEMAS[t] }]),
    ),
    RevocationNoticeData: {
      schemaFormat: DIALECT,
      schema: jsonSchema(RevocationNoticeSchema, topicDataSchemaId(TOPIC_EVENT_TYPES.revocationNotice)),
    },
    DecisionRecordData: {
      schemaFormat: DIALECT,
      schema: jsonSchema(DecisionRecordSchema, topicDataSchemaId(TOPIC_EVENT_TYPES.decision)),
    },
    CohortFilteredData: {
      schemaFormat: DIALECT,
      schema: jsonSchema(FilterRecordSchema, topicDataSchemaId(TOPIC_EVENT_TYPES.filter)),
    },
  };
}

export function asyncApiDocument(): Record<string, unknown> {
  return {
    asyncapi: '3.1.0',
    info: {
      title: 'consent-ledger topics',
      version: '1.0.0',
      description:
        "The append-only consent ledger and the topics derived from it. Ledger, revocation and decision records are CloudEvents 1.0 in the Kafka binding's structured content mode (the value is the event; content-type application/cloudevents+json). CloudEvents `time` is when the occurrence happened; the ledger's recording time is the `recordedtime` extension; `dataschema` names the JSON Schema of `data` (components.schemas, by $id).",
      contact: { name: 'consent-ledger maintainers' },
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      tags: ['ingest', 'worker', 'query', 'projector', 'dispatcher', 'sealer', 'audit'].map((name) => ({
        name,
        description: `Operations of the ${name} service`,
      })),
    },
    defaultContentType: STRUCTURED_CONTENT_TYPE,
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'The embedded single-node broker of `make up` (KAFKA_BROKERS elsewhere)',
      },
    },
    channels: channels(),
    operations: operations(),
    components: { schemas: dataSchemas() },
  };
}
