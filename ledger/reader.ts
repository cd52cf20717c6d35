// Reading the ledger as a consumer group: each batch (one partition) is parsed, poison records go to
// the dead-letter topic with the reason (the consumer keeps going), the handler gets the valid events,
// and offsets are committed only after the handler finished — so a crash re-delivers, never skips,
// and handlers must be idempotent (they dedupe by event id).
import { createConsumer, type Consumer, type EachBatchPayload, type Producer, type Kafka } from '../adapters/kafka.js';
import { parseEvent } from '../contracts/consent/validate.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { TOPICS, DEADLETTER_HEADERS } from '../contracts/topics.js';
import type { Logger } from '../adapters/logger.js';
import { context, type Context } from '@opentelemetry/api';
import { ledgerConsumerMetrics } from './consumerMetrics.js';
import { startBatchSpans } from './consumerSpans.js';

export interface LedgerRecord {
  event: LedgerEvent;
  partition: number;
  /** Kafka offset as a decimal string. */
  offset: string;
  headers: EachBatchPayload['batch']['messages'][number]['headers'];
  /** The record's consumer span, continuing its producer's trace (set while the handler runs, when the
   *  record carried a traceparent); see withRecordContext in ./consumerSpans.js. */
  context?: Context;
}

/** Where a batch sits on its partition (valid and poison records alike). */
export interface LedgerBatch {
  firstOffset: string;
  /** The offset after the batch's last record: what is committed once the handler finished. */
  nextOffset: string;
  /** The partition's end offset when the batch was fetched (lag = highWatermark - nextOffset). */
  highWatermark: string;
}

/** A handler may ask to re-read the partition from an earlier offset instead of committing (e.g. its
 *  own store says it has not applied everything before this batch); the batch is then not committed. */
// eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- a handler that only applies returns nothing
export type LedgerHandleOutcome = void | { seekTo: string };

export interface LedgerReaderOptions {
  groupId: string;
  fromBeginning?: boolean;
  topic?: string;
  deadLetterTopic?: string;
  /** Producer for dead letters (idempotent, acks=all). Absent: poison is only logged (a replay such as a
   *  projection rebuild must not dead-letter the same records a second time). */
  deadLetters?: Producer;
  /** Also call `handle` for batches with no valid record (all poison), so a handler that tracks its
   *  position sees it advance. */
  handleEmptyBatches?: boolean;
  log: Logger;
  /** Called with the valid events of one partition's batch, in ledger order. */
  handle(records: LedgerRecord[], partition: number, batch: LedgerBatch): Promise<LedgerHandleOutcome>;
  /** Kafka's session timeout for this member (default 30 s): heartbeats keep it alive while a batch runs. */
  sessionTimeoutMs?: number;
  /** On every (re)join of the group: this member's partitions of the topic. */
  assigned?: (partitions: number[]) => void;
  /** After the batch's offsets were committed: the next offset to read on that partition. */
  committed?(partition: number, nextOffset: string): Promise<void> | void;
  /** Batches of this many partitions handled at once (default 1); each partition's still in order. kafkajs
   *  hands out the batches of one fetch together, and fetches again once they are all handled. */
  partitionsConcurrently?: number;
}

const SESSION_TIMEOUT_MS = 30_000;
const HEARTBEAT_MS = 3_000;

export async function startLedgerReader(kafka: Kafka, o: LedgerReaderOptions): Promise<Consumer> {
  const topic = o.topic ?? TOPICS.ledger;
  const consumer = createConsumer(kafka, {
    groupId: o.groupId,
    sessionTimeout: o.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_MS,
  });
  if (o.assigned) {
    const assigned = o.assigned;
    consumer.on(consumer.events.GROUP_JOIN, (e) => assigned(e.payload.memberAssignment[topic] ?? []));
  }
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: o.fromBeginning ?? true });
  const labels = { group: o.groupId, topic };
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: o.partitionsConcurrently ?? 1,
    eachBatchAutoResolve: false,
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (!payload.isRunning() || payload.isStale() || batch.messages.length === 0) return;
      const { records, poison } = splitBatch(batch);
      if (poison.length > 0) await divertPoison(o, topic, batch.partition, poison);
      ledgerConsumerMetrics.records.inc({ ...labels, outcome: 'poison' }, poison.length);
      const last = batch.messages[batch.messages.length - 1]!.offset;
      const next = (BigInt(last) + 1n).toString();
      const info: LedgerBatch = {
        firstOffset: batch.messages[0]!.offset,
        nextOffset: next,
        highWatermark: batch.highWatermark,
      };
      const outcome =
        records.length > 0 || o.handleEmptyBatches
          ? await whileBeating(payload, () => handleTraced(o, topic, records, batch.partition, info))
          : undefined;
      if (outcome) {
        consumer.seek({ topic, partition: batch.partition, offset: outcome.seekTo });
        return;
      }
      // kafkajs fetches from the last *resolved* offset, not the committed one: without this every
      // fetch would start again at the offset committed when the group was joined.
      payload.resolveOffset(last);
      if (!(await committed(o, () => consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]))))
        return;
      ledgerConsumerMetrics.records.inc({ ...labels, outcome: 'valid' }, records.length);
      ledgerConsumerMetrics.lag.set(
        { ...labels, partition: String(batch.partition) },
        Number(BigInt(batch.highWatermark) - BigInt(next)),
      );
      await o.committed?.(batch.partition, next);
      await payload.heartbeat();
    },
  });
  return consumer;
}

/**
 * Runs a batch's handler while heartbeating: kafkajs only heartbeats between batches, so a batch that
 * took longer than the session timeout (a slow store under load) got this member removed from the
 * group, its commit refused, the batch retried into the same refusal and the consumer crashed for
 * good (the projector then stopped: withdrawals waited for holders that were never determined).
 */
async function whileBeating<T>(payload: EachBatchPayload, handle: () => Promise<T>): Promise<T> {
  const beat = setInterval(() => {
    // A failed beat is not fatal here: the loop's own heartbeat after the batch sees it and re-joins.
    payload.heartbeat().catch(() => undefined);
  }, HEARTBEAT_MS / 3); // kafkajs sends one only once HEARTBEAT_MS have passed since its last request
  try {
    return await handle();
  } finally {
    clearInterval(beat);
  }
}

/** Kafka errors meaning this member no longer owns its partitions (removed, or the group rebalancing). */
const LOST_MEMBERSHIP = new Set(['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS']);
const lostMembership = (err: unknown): boolean => {
  for (let e = err as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e)
    if (e.type && LOST_MEMBERSHIP.has(e.type)) return true;
  return false;
};

/**
 * Commits; false when the group had moved on (the commit is refused). The batch's effects stand — the
 * handlers are idempotent — and whoever owns the partition after the re-join reads it again from the
 * last commit; retrying the batch here would only be refused again.
 */
async function committed(o: LedgerReaderOptions, commit: () => Promise<void>): Promise<boolean> {
  try {
    await commit();
    return true;
  } catch (err) {
    if (!lostMembership(err)) throw err;
    o.log.warn({ group: o.groupId, err: (err as Error).message }, 'commit refused: the group moved on; re-joining');
    return false;
  }
}

interface PoisonRecord {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  reason: string;
}

/** The batch's valid ledger events and its poison records (with why), each in offset order. */
function splitBatch(batch: EachBatchPayload['batch']): { records: LedgerRecord[]; poison: PoisonRecord[] } {
  const records: LedgerRecord[] = [];
  const poison: PoisonRecord[] = [];
  for (const m of batch.messages) {
    const reason = parseRecord(m.value, (event) =>
      records.push({ event, partition: batch.partition, offset: m.offset, headers: m.headers }),
    );
    if (reason) poison.push({ offset: m.offset, key: m.key, value: m.value, reason });
  }
  return { records, poison };
}

async function divertPoison(o: LedgerReaderOptions, topic: string, partition: number, poison: PoisonRecord[]) {
  if (o.deadLetters)
    await sendDeadLetters(o.deadLetters, o.deadLetterTopic ?? TOPICS.deadLetter, topic, partition, poison, o.log);
  else o.log.warn({ topic, partition, poison: poison.length }, 'poison records skipped (no dead-letter producer)');
}

/** The handler inside the batch's consumer spans (each continuing its record's producer trace), timed. */
async function handleTraced(
  o: LedgerReaderOptions,
  topic: string,
  records: LedgerRecord[],
  partition: number,
  info: LedgerBatch,
): Promise<LedgerHandleOutcome> {
  const spans = startBatchSpans(topic, o.groupId, partition, records);
  const timer = ledgerConsumerMetrics.batchSeconds.startTimer({ group: o.groupId, topic });
  let outcome: LedgerHandleOutcome;
  try {
    outcome = await context.with(spans.context, () => o.handle(records, partition, info));
  } catch (err) {
    spans.end(err);
    throw err;
  }
  spans.end();
  timer();
  return outcome;
}

/** undefined when valid (and `ok` was called); otherwise why the record is poison. */
function parseRecord(value: Buffer | null, ok: (e: LedgerEvent) => void): string | undefined {
  if (!value) return 'empty record value';
  let json: unknown;
  try {
    json = JSON.parse(value.toString('utf8'));
  } catch {
    return 'not valid JSON';
  }
  const parsed = parseEvent(json);
  if (!parsed.ok)
    return `not a valid ledger event: ${parsed.problems
      .slice(0, 3)
      .map((p) => `${p.field || '/'} ${p.message}`)
      .join('; ')}`;
  ok(parsed.event);
  return undefined;
}

async function sendDeadLetters(
  producer: Producer,
  deadLetterTopic: string,
  topic: string,
  partition: number,
  poison: PoisonRecord[],
  log: Logger,
) {
  await producer.send({
    topic: deadLetterTopic,
    acks: -1,
    messages: poison.map((p) => ({
      key: p.key,
      value: p.value,
      headers: {
        [DEADLETTER_HEADERS.topic]: topic,
        [DEADLETTER_HEADERS.partition]: String(partition),
        [DEADLETTER_HEADERS.offset]: p.offset,
        [DEADLETTER_HEADERS.error]: p.reason,
      },
    })),
  });
  for (const p of poison)
    log.warn({ topic, partition, offset: p.offset, reason: p.reason }, 'poison record sent to the dead-letter topic');
}
