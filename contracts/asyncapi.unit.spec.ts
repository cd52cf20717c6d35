import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from './asyncapi.js';
import { EVENT_TYPES } from './consent/events.js';
import { EVENT_JSON_SCHEMAS } from './consent/jsonSchema.js';
import { TOPICS } from './topics.js';

describe('AsyncAPI document', () => {
  const doc = asyncApiDocument() as any;
  it('describes every topic by its real name', () => {
    expect(
      Object.values(doc.channels)
        .map((c: any) => c.address)
        .sort(),
    ).toEqual(Object.values(TOPICS).sort());
  });
  it("has one ledger message per event type, whose payload is the validator's own JSON Schema", () => {
    const messages = Object.values<any>(doc.channels.ledger.messages);
    expect(messages.map((m) => m.name).sort()).toEqual([...EVENT_TYPES].sort());
    for (const m of messages)
      expect(m.payload.schema).toBe(EVENT_JSON_SCHEMAS[m.name as keyof typeof EVENT_JSON_SCHEMAS]);
  });
  it('every operation message reference resolves', () => {
    for (const op of Object.values<any>(doc.operations)) {
      for (const { $ref } of op.messages) {
        const name = $ref.split('/').pop();
        expect(doc.channels.ledger.messages[name]).toBeDefined();
      }
    }
  });
});
