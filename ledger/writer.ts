// The one way onto the ledger. Ingest and every workflow activity append through this module:
// validate as a ledger event, canonical bytes, hash, and an idempotent acks=all produce keyed by subject.
//
// Concurrent appends share Kafka round trips: they queue, and one produce call carries everything
// queued while the previous call was in flight (or after `lingerMs`), up to `maxBatch`. An append that
// is not acknowledged within `deadlineMs` is rejected with LedgerUnavailable; if its write lands later
// anyway, `onLateWrite` reports it so the receipt store can still record where it went.
//
// A send whose outcome is unknown (broker killed, connection lost) is resent, the very same batch,
// until the broker answers: nothing else is sent meanwhile. That is what keeps the idempotent
// producer honest (adapters/kafka.ts#classifySendFailure): an acknowledged event is on the ledger,
// and a batch the broker already had is not written twice. `isWriting(id)` tells the receipt store
// that a write is still under way, so a client's retry waits for it instead of writing a copy.
import { context, propagation, trace, SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import { classifySendFailure, partitionForKey, type Producer, type SendFailure } from '../adapters/kafka.js';
import { isValidatedEvent, parseEvent } from '../contracts/consent/validate.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { recordBytes } from './recordBytes.js';
import { createHash } from 'node:crypto';
import { TOPICS, structuredModeHeaders } from '../contracts/topics.js';
import { DomainError } from '../contracts/domainError.js';
import { writerMetrics } from './writerMetrics.js';

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
  /** Ids of the events of the failed call that are certainly not on the ledger (never sent, or refused). */
  unwritten: string[] = [];
  constructor(reason: string) {
    super('unavailable', `the ledger (Kafka) did not acknowledge the write: ${reason}`);
  }
}

interface Pending {
  event: LedgerEvent;
  bytes: Buffer;
  hash: string;
  headers: Record<string, string>;
  partition: number;
  settled: boolean;
  /** Handed to the producer: from then on it may be on the ledger whatever the caller was told. */
  sent: boolean;
  /** The broker refused it: not on the ledger. */
  refused: boolean;
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
  /** A new, connected idempotent producer: replaces one whose producer id the broker no longer accepts. */
  freshProducer?: () => Promise<Producer>;
  /** Each failed attempt of a batch that will be resent (for logs, and to keep its claims fresh). */
  onResend?: (info: ResendInfo) => void;
}

export interface ResendInfo {
  attempt: number;
  failure: SendFailure;
  reason: string;
  eventIds: string[];
}

const RESEND_MAX_BACKOFF_MS = 2000;

const tracer = trace.getTracer('consent-ledger/ledger-writer');

export class LedgerWriter {
  private queue: Pending[] = [];
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly topic: string;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly deadlineMs: number;
  /** Event ids in a send that has not been answered yet. */
  private readonly writing = new Set<string>();
  private needsFreshProducer = false;

  constructor(
    private producer: Producer,
    private readonly opts: LedgerWriterOptions,
  ) {
    this.topic = opts.topic ?? TOPICS.ledger;
    this.lingerMs = opts.lingerMs ?? 2;
    this.maxBatch = opts.maxBatch ?? 1000;
    this.deadlineMs = opts.deadlineMs ?? 5000;
  }

  /** Append events; resolves, in order, with each one's ledger position once Kafka acknowledged all. */
  appendAll(events: readonly LedgerEvent[]): Promise<LedgerPosition[]> {
    const prepared = events.map((e) => this.prepare(e));
    const promises = prepared.map(
      (p) =>
        new Promise<LedgerPosition>((resolve, reject) => {
          p.resolve = resolve;
          p.reject = reject;
        }),
    );
    const deadline = setTimeout(() => {
      for (const p of prepared)
        this.settleLate(p, new LedgerUnavailable(`no acknowledgement within ${this.deadlineMs} ms`));
    }, this.deadlineMs);
    this.queue.push(...prepared);
    this.schedule();
    return Promise.allSettled(promises).then((results) => {
      clearTimeout(deadline);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (!failed) return results.map((r) => (r as PromiseFulfilledResult<LedgerPosition>).value);
      const err =
        failed.reason instanceof LedgerUnavailable ? failed.reason : new LedgerUnavailable(String(failed.reason));
      err.unwritten = prepared.filter((p) => !p.sent || p.refused).map((p) => p.event.id);
      throw err;
    });
  }

  append(event: LedgerEvent): Promise<LedgerPosition> {
    return this.appendAll([event]).then((r) => r[0]!);
  }

  /** Resolves once everything queued so far has been sent (or failed). For graceful shutdown. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.flushing) await new Promise((r) => setTimeout(r, 5));
  }

  /** True while `eventId` is in a send the broker has not answered: it may yet land. */
  isWriting(eventId: string): boolean {
    return this.writing.has(eventId);
  }

  /** Disconnect the producer in use (after `drain`). */
  async close(): Promise<void> {
    await this.producer.disconnect();
  }

  private prepare(event: LedgerEvent): Pending {
    // Re-validate: a workflow activity or a bug must not be able to put a malformed fact on the ledger.
    // (Ingest's events were validated, and frozen, by recordIncoming a moment ago.)
    const checked = isValidatedEvent(event) ? { ok: true as const, event } : parseEvent(event);
    if (!checked.ok) {
      throw new DomainError('unprocessable', `not a valid ledger event`, checked.problems);
    }
    const bytes = recordBytes(checked.event);
    // CloudEvents Kafka binding, structured mode: the value is the event; content-type is the one
    // binding header (contracts/topics.ts says why there are no ce_* headers).
    const headers = structuredModeHeaders();
    const span = tracer.startSpan(`${this.topic} publish`, {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'send',
        'messaging.destination.name': this.topic,
        'cloudevents.event_type': checked.event.type,
      },
    });
    // traceparent travels with the record: readers continue this trace (ledger/consumerSpans.ts).
    propagation.inject(trace.setSpan(context.active(), span), headers);
    return {
      event: checked.event,
      bytes,
      partition: partitionForKey(checked.event.subject, this.opts.partitions),
      hash: createHash('sha256').update(bytes).digest('hex'),
      headers,
      settled: false,
      sent: false,
      refused: false,
      span,
      resolve: () => {},
      reject: () => {},
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
    if (this.queue.length >= this.maxBatch) {
      void this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.lingerMs);
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
    for (const p of batch) {
      p.sent = true;
      this.writing.add(p.event.id);
    }
    try {
      const meta = await this.sendUntilAnswered(batch);
      // One produce call writes one record batch per partition, in the order given; so the n-th message
      // for a partition has offset baseOffset + n.
      const next = new Map(meta.map((m) => [m.partition, BigInt(m.baseOffset ?? '0')]));
      for (const p of batch) {
        const partition = p.partition;
        const offset = next.get(partition)!;
        next.set(partition, offset + 1n);
        const position: LedgerPosition = {
          eventId: p.event.id,
          topic: this.topic,
          partition,
          offset: offset.toString(),
          hash: p.hash,
          recordedAt: p.event.recordedtime,
        };
        if (p.settled) this.opts.onLateWrite?.(position, p.event);
        else {
          p.settled = true;
          p.span.setAttributes({
            'messaging.destination.partition.id': String(partition),
            'messaging.kafka.offset': position.offset,
          });
          p.span.end();
          p.resolve(position);
        }
      }
    } catch (err) {
      const reason = (err as Error).message;
      for (const p of batch) {
        p.refused = true;
        this.settleLate(p, new LedgerUnavailable(reason));
      }
    } finally {
      for (const p of batch) this.writing.delete(p.event.id);
    }
  }

  /** Send the batch until the broker answers for it; throws only when the broker refused it. */
  private async sendUntilAnswered(batch: Pending[]) {
    const messages = batch.map((p) => ({
      key: p.event.subject,
      partition: p.partition,
      value: p.bytes,
      headers: p.headers,
    }));
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.needsFreshProducer) await this.replaceProducer();
        const acked = writerMetrics.ackSeconds.startTimer({ topic: this.topic });
        const result = await this.producer.send({ topic: this.topic, acks: -1, messages });
        acked();
        return result;
      } catch (err) {
        const failure = classifySendFailure(err);
        const reason = (err as Error).message;
        if (failure === 'refused') {
          // The broker refused the records, but kafkajs also rewound the sequence numbers of any
          // partition of this batch that it did append: a fresh producer id keeps them from being reused.
          this.needsFreshProducer = true;
          // send(): the batch fails as refused. Its text only: classifySendFailure reads a `cause`, and kafkajs'
          // error must not be classified a second time.
          // eslint-disable-next-line preserve-caught-error -- the cause is dropped on purpose (above)
          throw new Error(reason);
        }
        if (failure === 'producer-state') this.needsFreshProducer = true;
        // Callers keep waiting until their deadline (then 503); a resend that lands before answers them.
        this.opts.onResend?.({ attempt, failure, reason, eventIds: batch.map((p) => p.event.id) });
        await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, RESEND_MAX_BACKOFF_MS)));
      }
    }
  }

  private async replaceProducer(): Promise<void> {
    if (!this.opts.freshProducer) {
      this.needsFreshProducer = false;
      return;
    }
    const old = this.producer;
    this.producer = await this.opts.freshProducer();
    this.needsFreshProducer = false;
    await old.disconnect().catch(() => undefined);
  }
}
