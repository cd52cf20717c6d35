// Consumer spans for one partition batch read from the ledger. Each record that arrived with a W3C
// traceparent header (ledger/writer.ts injects it) gets a CONSUMER span that continues the producer's
// trace — so one trace follows a withdrawal from ingest through every reader. The batch as a whole gets
// one CONSUMER span linked to those records, and the handler runs inside it. Records without a trace
// context (older records, a rebuild's replay) are covered only by the batch span: no root-span flood.
// Attributes name the topic, partition, offset and event type; never the subject.
import {
  context,
  propagation,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Context,
  type Link,
  type Span,
} from '@opentelemetry/api';
import type { LedgerRecord } from './reader.js';

const tracer = trace.getTracer('consent-ledger/ledger-reader');
const MAX_LINKS = 128;

export interface BatchSpans {
  /** The batch span's context: run the handler inside it. */
  context: Context;
  end(err?: unknown): void;
}

export function startBatchSpans(topic: string, group: string, partition: number, records: LedgerRecord[]): BatchSpans {
  const recordSpans: Span[] = [];
  const links: Link[] = [];
  for (const r of records) {
    const carrier = headerCarrier(r.headers);
    if (!carrier.traceparent) continue;
    const parent = propagation.extract(ROOT_CONTEXT, carrier);
    if (!trace.getSpanContext(parent)) continue;
    const span = tracer.startSpan(
      `${topic} process`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.destination.name': topic,
          'messaging.consumer.group.name': group,
          'messaging.destination.partition.id': String(partition),
          'messaging.kafka.offset': r.offset,
          'cloudevents.event_type': r.event.type,
        },
      },
      parent,
    );
    r.context = trace.setSpan(parent, span);
    recordSpans.push(span);
    if (links.length < MAX_LINKS) links.push({ context: span.spanContext() });
  }
  const batch = tracer.startSpan(
    `${topic} process batch`,
    {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': topic,
        'messaging.consumer.group.name': group,
        'messaging.destination.partition.id': String(partition),
        'messaging.batch.message_count': records.length,
      },
    },
    ROOT_CONTEXT,
  );
  return {
    context: trace.setSpan(context.active(), batch),
    end(err?: unknown) {
      for (const s of [...recordSpans, batch]) {
        if (err) s.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.name : 'error' });
        s.end();
      }
    },
  };
}

/** Runs `fn` in the record's own trace (its consumer span) when it has one: e.g. a workflow started for
 *  the record then belongs to the trace of the request that wrote it. */
export function withRecordContext<T>(r: LedgerRecord, fn: () => T): T {
  return r.context ? context.with(r.context, fn) : fn();
}

function headerCarrier(headers: LedgerRecord['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    const value = Array.isArray(v) ? v[0] : v;
    if (value != null) out[k] = value.toString(); // kafkajs' types omit it, but a header value may be null
  }
  return out;
}
