import { Parser, DiagnosticSeverity } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { asyncApiDocument } from './asyncapi.js';
import { EVENT_TYPES, dataSchemaId } from './consent/events.js';
import { EVENT_JSON_SCHEMAS } from './consent/jsonSchema.js';
import { TOPICS } from './topics.js';
import { TOPIC_EVENT_TYPES, topicDataSchemaId } from './topicEvents.js';

interface Doc {
  channels: Record<
    string,
    { address: string; messages: Record<string, { name: string; headers?: object; payload: { schema: unknown } }> }
  >;
  operations: Record<string, { action: string; messages: { $ref: string }[]; 'x-services': string[] }>;
  components: { schemas: Record<string, { schema: { $id: string } }> };
}

describe('AsyncAPI document', () => {
  const doc = asyncApiDocument() as unknown as Doc;

  it('@asyncapi/parser reads it with no error, warning or hint', { timeout: 60_000 }, async () => {
    const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
    expect(document).toBeDefined();
    expect(
      diagnostics.map(
        (d) => `${String(DiagnosticSeverity[d.severity])} ${String(d.code)} ${d.path.join('.')}: ${d.message}`,
      ),
    ).toEqual([]);
  });

  it('describes every topic by its real name, each with messages and their headers', () => {
    expect(
      Object.values(doc.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual(Object.values(TOPICS).sort());
    for (const c of Object.values(doc.channels)) {
      expect(Object.keys(c.messages).length).toBeGreaterThan(0);
      for (const m of Object.values(c.messages)) expect(m.headers).toBeDefined();
    }
  });

  it("has one ledger message per event type, whose payload is the validator's own JSON Schema", () => {
    const messages = Object.values(doc.channels.ledger!.messages);
    expect(messages.map((m) => m.name).sort()).toEqual([...EVENT_TYPES].sort());
    for (const m of messages)
      expect(m.payload.schema).toBe(EVENT_JSON_SCHEMAS[m.name as keyof typeof EVENT_JSON_SCHEMAS]);
  });

  it('every message is sent by some service and received by some reader, and every reference resolves', () => {
    const sent = new Set<string>();
    const received = new Set<string>();
    for (const op of Object.values(doc.operations)) {
      expect(op['x-services'].length).toBeGreaterThan(0);
      for (const { $ref } of op.messages) {
        const [, , channel, , name] = $ref.split('/');
        expect(doc.channels[channel!]?.messages[name!], $ref).toBeDefined();
        (op.action === 'send' ? sent : received).add($ref);
      }
    }
    for (const [channel, c] of Object.entries(doc.channels))
      for (const name of Object.keys(c.messages)) {
        const ref = `#/channels/${channel}/messages/${name}`;
        expect(sent.has(ref), `${ref} sent`).toBe(true);
        expect(received.has(ref), `${ref} received`).toBe(true);
      }
  });

  it('publishes the schema every dataschema attribute names', () => {
    const ids = new Set(Object.values(doc.components.schemas).map((s) => s.schema.$id));
    for (const t of EVENT_TYPES) expect(ids.has(dataSchemaId(t))).toBe(true);
    for (const t of Object.values(TOPIC_EVENT_TYPES)) expect(ids.has(topicDataSchemaId(t))).toBe(true);
  });
});
