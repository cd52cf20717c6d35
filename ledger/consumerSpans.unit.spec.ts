// Span plumbing without servers: an in-memory exporter records what the ledger reader's consumer spans,
// the writer-side traceparent and the traced HTTP client produce.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { context, propagation, trace, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { startBatchSpans, withRecordContext } from './consumerSpans.js';
import { tracedRequest } from '../adapters/http/clientSpans.js';
import type { LedgerRecord } from './reader.js';
import type { LedgerEvent } from '../contracts/consent/events.js';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  propagation.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const producerTrace = '0af7651916cd43dd8448eb211c80319c';
const producerSpan = 'b7ad6b7169203331';
const record = (offset: string, headers: LedgerRecord['headers']): LedgerRecord => ({
  event: { id: `e-${offset}`, type: 'consent.withdrawn', subject: 'sub_should_not_appear' } as unknown as LedgerEvent,
  partition: 3,
  offset,
  headers,
});

describe('ledger consumer spans', () => {
  it('a record with a traceparent gets a CONSUMER span continuing it; the batch span links it; the handler context is the batch', async () => {
    const traced = record('10', {
      traceparent: Buffer.from(`00-${producerTrace}-${producerSpan}-01`),
      ce_id: Buffer.from('x'),
    });
    const untraced = record('11', {});
    const spans = startBatchSpans('ledger.t', 'group-a', 3, [traced, untraced]);
    const inHandler = context.with(spans.context, () => trace.getActiveSpan()!.spanContext().spanId);
    const inRecord = withRecordContext(traced, () => trace.getActiveSpan()!.spanContext());
    expect(withRecordContext(untraced, () => trace.getActiveSpan())).toBeUndefined();
    spans.end();

    const finished = exporter.getFinishedSpans();
    expect(finished.map((s) => s.name).sort()).toEqual(['ledger.t process', 'ledger.t process batch']);
    const one = finished.find((s) => s.name === 'ledger.t process')!;
    const batch = finished.find((s) => s.name === 'ledger.t process batch')!;
    expect(one.kind).toBe(SpanKind.CONSUMER);
    expect(one.spanContext().traceId).toBe(producerTrace);
    expect(one.parentSpanContext?.spanId).toBe(producerSpan);
    expect(one.attributes).toMatchObject({
      'messaging.kafka.offset': '10',
      'messaging.consumer.group.name': 'group-a',
      'cloudevents.event_type': 'consent.withdrawn',
    });
    expect(inRecord.spanId).toBe(one.spanContext().spanId);
    expect(batch.links.map((l) => l.context.spanId)).toEqual([one.spanContext().spanId]);
    expect(batch.spanContext().traceId).not.toBe(producerTrace);
    expect(inHandler).toBe(batch.spanContext().spanId);
    expect(JSON.stringify(finished.map((s) => s.attributes))).not.toContain('sub_should_not_appear');
  });

  it('a failed handler marks the spans as errors, naming only the error kind', () => {
    const spans = startBatchSpans('ledger.t', 'g', 0, [
      record('1', { traceparent: `00-${producerTrace}-${producerSpan}-01` }),
    ]);
    spans.end(new TypeError('subject sub_x broke'));
    for (const s of exporter.getFinishedSpans()) {
      expect(s.status).toEqual({ code: 2, message: 'TypeError' });
    }
  });
});

describe('traced HTTP client', () => {
  it('sends the CLIENT span as traceparent, child of the active span, status from the response', async () => {
    const parent = trace.getTracer('t').startSpan('activity');
    let sent: Record<string, string> = {};
    await context.with(trace.setSpan(context.active(), parent), () =>
      tracedRequest('POST', 'webhook', { 'content-type': 'application/json' }, async (h) => {
        sent = h;
        return new Response(null, { status: 503 });
      }),
    );
    parent.end();
    const client = exporter.getFinishedSpans().find((s) => s.name === 'POST webhook')!;
    expect(client.kind).toBe(SpanKind.CLIENT);
    expect(client.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(sent.traceparent).toBe(`00-${client.spanContext().traceId}-${client.spanContext().spanId}-01`);
    expect(sent['content-type']).toBe('application/json');
    expect(client.attributes['http.response.status_code']).toBe(503);
    expect(client.status.code).toBe(2);
  });
});

describe('trace ids', () => {
  it('never contain a run of ten digits (an NHS-number look-alike in logs and record headers)', async () => {
    const { DigitRunFreeIds } = await import('../adapters/telemetry.js');
    const ids = new DigitRunFreeIds();
    const drawn = Array.from({ length: 2000 }, () => [ids.generateTraceId(), ids.generateSpanId()]).flat();
    expect(drawn.every((id) => /^[0-9a-f]+$/.test(id) && !/[0-9]{10}/.test(id))).toBe(true);
    expect(drawn.filter((id) => id.length === 32)).toHaveLength(2000);
  });
});
