// The one way onto the ledger. Ingest and every workflow activity append through this module:
// validate as a ledger event, canonical bytes, hash, and an idempotent acks=all produce keyed by subject.
//
// Concurrent appends share Kafka round trips: they queue, and one produce call carries everything
// queued while the previous call was in flight (or after `lingerMs`), up to `maxBatch`. An append that
// is not acknowledged within `deadlineMs` is rejected with LedgerUnavailable; if its write lands later
// anyway, `onLateWrite` reports it so the receipt store can still record where it went.
import { context, propagation, trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { partitionForKey, type Producer } from '../adapters/kafka.js';
import { parseEvent } from '../contracts/consent/validate.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { canonicalBytes } from '../contracts/consent/canonical.js';
import { createHash } from 'node:crypto';
import { TOPICS, cloudEventHeaders } from '../contracts/topics.js';
import { DomainError } from '../adapters/http/problems.js';

export interface LedgerPosition {
  eventId: string;
  topic: string;
  partition: number;
  offset: string;
  /** sha256 (hex) of the canonical bytes written: what the sealer chains and auditors recompute. */
  hash: string;
  recordedAt: string;
}

export class LedgerUnavailable extends DomainError {
  constructor(reason: string) { super('unavailable', `the ledger (Kafka) did not acknowledge the write: ${reason}`); }
}

interface Pending {
  event: LedgerEvent;
  bytes: Buffer;
  hash: string;
  headers: Record<string, string>;
  partition: number;
  settled: boolean;
  /** PRODUCER span of this record's send; its context is the record's traceparent. */
  span: Span;
  resolve(p: LedgerPosition): void;
  reject(e: Error): void;
}

export interface LedgerWriterOptions {
  topic?: string;
  /** Partition count of the topic (adapters/kafka.ts#partitionCount), to place each record by its key. */
  partitions: number;
  lingerMs?: number;
  maxBatch?: number;
  deadlineMs?: number;
  onLateWrite?: (position: LedgerPosition, event: LedgerEvent) => void;
}

const tracer = trace.getTracer('consent-ledger/ledger-writer');

export class LedgerWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly topic: string;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly deadlineMs: number;

  constructor(private readonly producer: Producer, private readonly opts: LedgerWriterOptions) {
    this.topic = opts.topic ?? TOPICS.ledger;
    this.lingerMs = opts.lingerMs ?? 2;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.deadlineMs = opts.deadlineMs ?? 5000;
  }

  /** Append events; resolves, in order, with each one's ledger position once Kafka acknowledged all. */
  appendAll(events: readonly LedgerEvent[]): Promise<LedgerPosition[]> {
    const prepared = events.map((e) => this.prepare(e));
    const promises = prepared.map((p) => new Promise<LedgerPosition>((resolve, reject) => {
      p.resolve = resolve; p.reject = reject;
    }));
    const deadline = setTimeout(() => {
      for (const p of prepared) this.settleLate(p, new LedgerUnavailable(`no acknowledgement within ${this.deadlineMs} ms`));
    }, this.deadlineMs);
    this.queue.push(...prepared);
    this.schedule();
    return Promise.all(promises).finally(() => clearTimeout(deadline));
  }

  append(event: LedgerEvent): Promise<LedgerPosition> {
    return this.appendAll([event]).then((r) => r[0]!);
  }

  /** Resolves once everything queued so far has been sent (or failed). For graceful shutdown. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) await new Promise((r) => setTimeout(r, 5));
  }

  private prepare(event: LedgerEvent): Pending {
    // Re-validate: a workflow activity or a bug must not be able to put a malformed fact on the ledger.
    const checked = parseEvent(event);
    if (!checked.ok) {
      throw new DomainError('unprocessable', `not a valid ledger event`, checked.problems);
    }
    const bytes = canonicalBytes(checked.event);
    const headers = cloudEventHeaders(checked.event);
    const span = tracer.startSpan(`${this.topic} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': 'kafka', 'messaging.operation.type': 'send', 'messaging.destination.name': this.topic, 'cloudevents.event_type': checked.event.type },
    });
    // traceparent travels with the record: readers continue this trace (ledger/consumerSpans.ts).
    propagation.inject(trace.setSpan(context.active(), span), headers);
    return {
      event: checked.event, bytes, partition: partitionForKey(checked.event.subject, this.opts.partitions), hash: createHash('sha256').update(bytes).digest('hex'), headers,
      settled: false, span, resolve: () => {}, reject: () => {},
    };
  }

  private settleLate(p: Pending, err: Error): void {
    if (p.settled) return;
    p.settled = true;
    p.span.setStatus({ code: SpanStatusCode.ERROR, message: err.name });
    p.span.end();
    p.reject(err);
  }

  private schedule(): void {
    if (this.flushing || this.timer) return;
    if (this.queue.length >= this.maxBatch) { void this.flush(); return; }
    this.timer = setTimeout(() => { this.timer = undefined; void this.flush(); }, this.lingerMs);
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        // Appends whose deadline passed while queued were never sent: drop them (their caller got 503).
        const batch = this.queue.splice(0, this.maxBatch).filter((p) => !p.settled);
        if (batch.length > 0) await this.send(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async send(batch: Pending[]): Promise<void> {
    try {
      const meta = await this.producer.send({
        topic: this.topic, acks: -1,
        messages: batch.map((p) => ({ key: p.event.subject, partition: p.partition, value: p.bytes, headers: p.headers })),
      });
      // One produce call writes one record batch per partition, in the order given; so the n-th message
      // for a partition has offset baseOffset + n.
      const next = new Map(meta.map((m) => [m.partition, BigInt(m.baseOffset ?? '0')]));
      for (const p of batch) {
        const partition = p.partition;
        const offset = next.get(partition)!;
        next.set(partition, offset + 1n);
        const position: LedgerPosition = {
          eventId: p.event.id, topic: this.topic, partition, offset: offset.toString(), hash: p.hash, recordedAt: p.event.time,
        };
        if (p.settled) this.opts.onLateWrite?.(position, p.event);
        else {
          p.settled = true;
          p.span.setAttributes({ 'messaging.destination.partition.id': String(partition), 'messaging.kafka.offset': position.offset });
          p.span.end();
          p.resolve(position);
        }
      }
    } catch (err) {
      const reason = (err as Error).message;
      for (const p of batch) this.settleLate(p, new LedgerUnavailable(reason));
    }
  }
}
