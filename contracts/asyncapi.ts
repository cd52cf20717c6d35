// AsyncAPI 3.0 document for the Kafka topics, built from the same zod-generated JSON Schemas that
// validate the events — so the published contract cannot drift from what the code accepts.
import { EVENT_JSON_SCHEMAS } from './consent/jsonSchema.js';
import { EVENT_TYPES } from './consent/events.js';
import { TOPICS, TOPIC_KEYS, STRUCTURED_CONTENT_TYPE } from './topics.js';
import { z } from 'zod';
import { CheckpointSchema } from './checkpoint.js';

const messageName = (type: string) => type.replace(/[^A-Za-z0-9]+(.)/g, (_m, c: string) => c.toUpperCase());

export function asyncApiDocument(): Record<string, unknown> {
  const messages = Object.fromEntries(
    EVENT_TYPES.map((type) => [
      messageName(type),
      {
        name: type,
        title: type,
        contentType: STRUCTURED_CONTENT_TYPE,
        summary: `CloudEvent ${type} (structured content mode: the record value is the whole event as canonical JSON)`,
        payload: { schemaFormat: 'application/schema+json;version=draft-2020-12', schema: EVENT_JSON_SCHEMAS[type] },
        bindings: { kafka: { key: { type: 'string', description: TOPIC_KEYS.ledger }, bindingVersion: '0.5.0' } },
      },
    ]),
  );
  const ref = (name: string) => ({ $ref: `#/channels/ledger/messages/${name}` });
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'consent-ledger topics',
      version: '1.0.0',
      description:
        'The append-only consent ledger and the topics derived from it. The ledger is kept forever (retention -1, ' +
        'cleanup.policy=delete); readers dedupe by event id and accept every dataversion ever written.',
    },
    defaultContentType: STRUCTURED_CONTENT_TYPE,
    servers: {
      local: { host: '127.0.0.1:9092', protocol: 'kafka', description: 'embedded single-node broker (make up)' },
    },
    channels: {
      ledger: {
        address: TOPICS.ledger,
        description:
          'Every consent, opt-out, withdrawal, workflow outcome and data-user registration, in order per subject.',
        messages,
        bindings: {
          kafka: {
            topic: TOPICS.ledger,
            partitions: 12,
            topicConfiguration: { 'cleanup.policy': ['delete'], 'retention.ms': -1 },
            bindingVersion: '0.5.0',
          },
        },
      },
      revocations: {
        address: TOPICS.revocations,
        description: `Revocation notices for data users; key: ${TOPIC_KEYS.revocations}.`,
      },
      decisions: {
        address: TOPICS.decisions,
        description: 'Decision log: who asked, about whom, for what, the answer.',
      },
      checkpoints: {
        address: TOPICS.checkpoints,
        description: 'Signed checkpoints over ledger ranges (tamper evidence; contracts/checkpoint.ts).',
        messages: {
          Checkpoint: {
            name: 'checkpoint',
            contentType: 'application/json',
            payload: {
              schemaFormat: 'application/schema+json;version=draft-2020-12',
              schema: z.toJSONSchema(CheckpointSchema),
            },
            bindings: {
              kafka: { key: { type: 'string', description: TOPIC_KEYS.checkpoints }, bindingVersion: '0.5.0' },
            },
          },
        },
      },
      deadLetter: {
        address: TOPICS.deadLetter,
        description: 'Records a consumer could not process, with the reason in headers.',
      },
    },
    operations: {
      appendToLedger: {
        action: 'send',
        channel: { $ref: '#/channels/ledger' },
        summary: 'Ingest and workflow activities append events (idempotent producer, acks=all).',
        messages: EVENT_TYPES.map((t) => ref(messageName(t))),
      },
      readLedger: {
        action: 'receive',
        channel: { $ref: '#/channels/ledger' },
        summary: 'Projector, dispatcher, sealer and auditors read the ledger.',
        messages: EVENT_TYPES.map((t) => ref(messageName(t))),
      },
    },
  };
}
