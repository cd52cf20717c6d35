// JSON Schema (draft 2020-12) of every event, generated from the zod schemas in events.ts, for
// the AsyncAPI document (ledger events) and the OpenAPI document (what hospitals POST).
// Refinements that JSON Schema cannot express (unique list items are expressed; "validUntil after
// occurredAt", modulus-11, occurredAt vs time are not) are enforced by validate.ts only.
import * as z from 'zod';
import {
  CURRENT_VERSION,
  EVENT_SCHEMAS,
  dataSchemaId,
  EVENT_TYPES,
  INCOMING_EVENT_TYPES,
  INCOMING_SCHEMAS,
  type EventType,
  type IncomingEventType,
} from './events.js';

export type JsonSchema = z.core.JSONSchema.BaseSchema;

export const JSON_SCHEMA_DIALECT = 'https://json-schema.org/draft/2020-12/schema';

function eventSchemaId(type: EventType, version: number = CURRENT_VERSION[type]): string {
  return `urn:consent-ledger:event:${type}:v${version}`;
}
function incomingSchemaId(type: IncomingEventType): string {
  return `urn:consent-ledger:incoming:${type}:v${CURRENT_VERSION[type]}`;
}

function generate(schema: z.ZodType, id: string, title: string, description: string): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  return { $schema: JSON_SCHEMA_DIALECT, $id: id, title, description, ...omitDialect(json) };
}

function omitDialect(json: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = json;
  return rest;
}

function build<T extends string, R>(types: readonly T[], f: (t: T) => R): Record<T, R> {
  return Object.fromEntries(types.map((t) => [t, f(t)])) as Record<T, R>;
}

/** The ledger event schema of each type (current version), as recorded on consent.ledger.v1. */
export const EVENT_JSON_SCHEMAS: Readonly<Record<EventType, JsonSchema>> = build(EVENT_TYPES, (type) =>
  generate(
    EVENT_SCHEMAS[type],
    eventSchemaId(type),
    type,
    `CloudEvent "${type}", data version ${CURRENT_VERSION[type]}, as recorded on the ledger.`,
  ),
);

/** What a hospital POSTs for each accepted type: no `time`, exactly one of subject/nhsNumber. */
export const INCOMING_JSON_SCHEMAS: Readonly<Record<IncomingEventType, JsonSchema>> = build(
  INCOMING_EVENT_TYPES,
  (type) => ({
    ...generate(
      INCOMING_SCHEMAS[type],
      incomingSchemaId(type),
      `${type} (submission)`,
      `CloudEvent "${type}" as submitted to POST /v1/events; the ledger sets time.`,
    ),
    oneOf: [{ required: ['subject'] }, { required: ['nhsNumber'] }],
  }),
);

/** Any ledger event: a oneOf over the per-type schemas, discriminated on `type`. */
export const LEDGER_EVENT_JSON_SCHEMA: JsonSchema = {
  $schema: JSON_SCHEMA_DIALECT,
  $id: 'urn:consent-ledger:event',
  title: 'LedgerEvent',
  description: 'Any event on consent.ledger.v1 (current versions).',
  oneOf: EVENT_TYPES.map((t) => omitDialect(EVENT_JSON_SCHEMAS[t])),
};

/** The JSON Schema of each type's `data` (current version), with the `$id` every event's `dataschema` names. */
export const DATA_JSON_SCHEMAS: Readonly<Record<EventType, JsonSchema>> = build(EVENT_TYPES, (type) =>
  generate(
    EVENT_SCHEMAS[type].shape.data,
    dataSchemaId(type),
    `${type} data`,
    `The data of "${type}" at dataversion ${CURRENT_VERSION[type]}.`,
  ),
);
