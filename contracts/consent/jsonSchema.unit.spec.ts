import { describe, expect, it } from 'vitest';
import { CURRENT_VERSION, EVENT_TYPES, INCOMING_EVENT_TYPES } from './events.js';
import { EXAMPLE_EVENTS } from './examples.js';
import {
  EVENT_JSON_SCHEMAS,
  INCOMING_JSON_SCHEMAS,
  JSON_SCHEMA_DIALECT,
  LEDGER_EVENT_JSON_SCHEMA,
  type JsonSchema,
} from './jsonSchema.js';

const props = (s: JsonSchema) => (s.properties ?? {}) as Record<string, JsonSchema>;

describe('JSON Schema export', () => {
  it.each(EVENT_TYPES)('%s: a draft 2020-12 object schema with its own $id', (type) => {
    const s = EVENT_JSON_SCHEMAS[type];
    expect(s.$schema).toBe(JSON_SCHEMA_DIALECT);
    expect(s.$id).toBe(`urn:consent-ledger:event:${type}:v${CURRENT_VERSION[type]}`);
    expect(s.type).toBe('object');
    expect(s.additionalProperties).toBe(false);
    expect(props(s).type?.const).toBe(type);
    expect(props(s).dataversion).toMatchObject({ type: 'integer', const: CURRENT_VERSION[type] });
    expect(s.required).toEqual(
      expect.arrayContaining(['specversion', 'id', 'source', 'type', 'subject', 'time', 'dataversion', 'data']),
    );
    expect(props(props(s).data!).occurredAt).toMatchObject({ type: 'string', format: 'date-time' });
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain JSON, ready for AsyncAPI/OpenAPI
  });

  it.each(EVENT_TYPES)('%s: the example has exactly the schema’s required and allowed keys', (type) => {
    const s = EVENT_JSON_SCHEMAS[type];
    const data = props(s).data!;
    const example = EXAMPLE_EVENTS[type] as { data: object };
    for (const [schema, value] of [
      [s, example],
      [data, example.data],
    ] as const) {
      const keys = Object.keys(value);
      expect(Object.keys(props(schema))).toEqual(expect.arrayContaining(keys));
      expect(keys).toEqual(expect.arrayContaining(schema.required ?? []));
    }
  });

  it('scope dimensions are "*" or a unique, non-empty list of the vocabulary', () => {
    const scope = props(props(EVENT_JSON_SCHEMAS['consent.given']).data!).scope!;
    expect(props(scope).purposes).toEqual({
      anyOf: [
        { type: 'string', const: '*' },
        {
          type: 'array',
          minItems: 1,
          uniqueItems: true,
          items: {
            type: 'string',
            enum: ['research', 'ai-training', 'ai-validation', 'service-planning', 'product-development'],
          },
        },
      ],
    });
  });

  it.each(INCOMING_EVENT_TYPES)('%s submission: no time, subject xor nhsNumber', (type) => {
    const s = INCOMING_JSON_SCHEMAS[type];
    expect(s.$id).toBe(`urn:consent-ledger:incoming:${type}:v${CURRENT_VERSION[type]}`);
    expect(Object.keys(props(s))).not.toContain('time');
    expect(props(s).nhsNumber).toMatchObject({ type: 'string', pattern: '^\\d{10}$' });
    expect(props(s).source).toMatchObject({ pattern: expect.stringMatching(/^\^org:/) });
    expect(s.required).not.toContain('subject');
    expect(s.oneOf).toEqual([{ required: ['subject'] }, { required: ['nhsNumber'] }]);
  });

  it('the ledger union has one branch per type', () => {
    expect(LEDGER_EVENT_JSON_SCHEMA.oneOf).toHaveLength(EVENT_TYPES.length);
    const branches = LEDGER_EVENT_JSON_SCHEMA.oneOf ?? [];
    expect(branches.map((b) => props(b).type?.const)).toEqual(EVENT_TYPES);
    expect(branches.every((b) => b.$schema === undefined)).toBe(true);
  });
});
