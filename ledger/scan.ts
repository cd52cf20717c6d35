// Reads a topic as an auditor does: a snapshot up to the end offsets taken at the start, ONE partition
// range ("leg") at a time, in a caller-given order. One leg at a time is what bounds memory: a subject
// lives on one partition, so replay can fold a partition (or a slice of its subjects) and let it go
// before the next. kafkajs has no manual assignment, so the scanner subscribes (fresh group id, no
// commits) and steers with pause/seek/resume; records of any other partition that arrive are ignored.
//
// Transactional topics (the checkpoints topic, written by the fenced sealer): the consumer reads
// read_committed (kafkajs' default), so records of aborted transactions are never handed over, and the
// snapshot's end is the last stable offset. Offsets there are not dense: every transaction ends in a
// commit or abort marker, a control record that takes an offset and is never delivered — usually the
// very last offset before the end. So a leg advances past what a fetch covered (its last raw offset),
// not only past the records it delivered, and a fetch of nothing but markers or aborted records, which
// kafkajs does not pass to eachBatch, advances it through the consumer's END_BATCH_PROCESS event.
import { randomUUID } from 'node:crypto';
import { createConsumer, type Consumer, type EachBatchPayload, type Kafka, type IHeaders } from '../adapters/kafka.js';

export interface ScannedRecord {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

export interface Leg {
  partition: number;
  /** First offset (inclusive) and end (exclusive). */
  from: bigint;
  to: bigint;
  /** Called with each record in offset order. */
  onRecords(records: ScannedRecord[]): Promise<void> | void;
  /** After the last record of the leg. */
  done?(): Promise<void> | void;
}

export interface PartitionRange {
  partition: number;
  low: bigint;
  high: bigint;
}

/** Each partition's [low, high) right now: the snapshot an audit run covers. */
export async function partitionRanges(kafka: Kafka, topic: string): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets
      .map((o) => ({ partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) }))
      .sort((a, b) => a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
}

export interface ScanOptions {
  /** Called after each batch with the records handled so far (for a progress bar). */
  progress?(handled: number): void;
  /** Give up when no record arrives for this long (a broken broker must not hang an audit forever). */
  stallMs?: number;
}

/** Run the legs one after another; resolves when the last is done. */
export async function scanLegs(kafka: Kafka, topic: string, legs: Leg[], opts: ScanOptions = {}): Promise<void> {
  const pending = legs.filter((l) => l.to > l.from);
  for (const l of legs) if (l.to <= l.from) await l.done?.();
  if (pending.length === 0) return;
  const consumer = createConsumer(kafka, {
    groupId: `audit-scan-${randomUUID()}`,
    maxBytesPerPartition: 8 << 20,
    maxBytes: 16 << 20,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const cursor = new LegCursor(consumer, topic, pending, [...new Set(legs.map((l) => l.partition))], opts);
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0) cursor.onSkipped(payload.partition, payload.firstOffset, payload.lastOffset);
    });
    await consumer.run({ autoCommit: false, eachBatch: (payload) => cursor.onBatch(payload) });
    cursor.activate();
    await cursor.finished(opts.stallMs ?? 30_000);
  } finally {
    await consumer.disconnect();
  }
}

/** Steers one consumer through the legs in order: only the current leg's partition is resumed. */
class LegCursor {
  private index = 0;
  /** The next offset the current leg expects. */
  private next: bigint;
  private handled = 0;
  private lastProgress = Date.now();
  private inHandler = false;
  /** Batches and skipped ranges are handled one at a time, in the order the consumer saw them. */
  private serial: Promise<void> = Promise.resolve();
  private readonly done: Promise<void>;
  private finish!: () => void;
  private fail!: (e: Error) => void;

  constructor(
    private readonly consumer: Consumer,
    private readonly topic: string,
    private readonly legs: Leg[],
    private readonly partitions: number[],
    private readonly opts: ScanOptions,
  ) {
    this.next = legs[0]!.from;
    this.done = new Promise<void>((res, rej) => {
      this.finish = res;
      this.fail = rej;
    });
  }

  /** Pause every other partition and seek the current leg's to its start. */
  activate(): void {
    const leg = this.legs[this.index]!;
    const { consumer, topic } = this;
    consumer.pause([{ topic, partitions: this.partitions.filter((p) => p !== leg.partition) }]);
    consumer.seek({ topic, partition: leg.partition, offset: leg.from.toString() });
    consumer.resume([{ topic, partitions: [leg.partition] }]);
    this.next = leg.from;
  }

  onBatch(payload: EachBatchPayload): Promise<void> {
    return this.inOrder(() => this.handleBatch(payload));
  }

  /** A fetch that held only control records or aborted records, up to `lastOffset`: nothing to hand over. */
  onSkipped(partition: number, firstOffset: string | null, lastOffset: string): void {
    void this.inOrder(async () => {
      const leg = this.legs[this.index];
      if (!leg || partition !== leg.partition) return;
      this.lastProgress = Date.now();
      this.passed(firstOffset, lastOffset);
      if (this.next >= leg.to) await this.endLeg(leg);
    }).catch((err: Error) => this.fail(err));
  }

  private inOrder(f: () => Promise<void>): Promise<void> {
    const run = this.serial.then(f);
    this.serial = run.catch(() => undefined);
    return run;
  }

  /** A fetch covered [firstOffset, lastOffset] (markers and aborted records included; raw offsets are
   *  dense). Only a fetch that starts at or before the expected offset moves it: one fetched before a
   *  seek back (a second pass over the partition) lies ahead and must not. */
  private passed(firstOffset: string | null, lastOffset: string): void {
    if (firstOffset === null || BigInt(firstOffset) > this.next) return;
    const after = BigInt(lastOffset) + 1n;
    if (after > this.next) this.next = after;
  }

  private async handleBatch({ batch, heartbeat }: EachBatchPayload): Promise<void> {
    const leg = this.legs[this.index];
    if (!leg || batch.partition !== leg.partition) return;
    const records = this.take(batch, leg);
    this.passed(batch.firstOffset(), batch.lastOffset()); // past a trailing commit marker or aborted records too (see the header)
    // A handler may take long (replay compares with the projection at the end of a leg): keep the
    // group membership alive meanwhile, and do not count handler time as a stalled broker.
    const beat = setInterval(() => {
      heartbeat().catch(() => undefined);
    }, 2000);
    this.inHandler = true;
    try {
      if (records.length > 0) {
        await leg.onRecords(records);
        this.handled += records.length;
        this.opts.progress?.(this.handled);
      }
      // The last offset before `to` may be missing (a deleted record at the end): the batch's high watermark tells.
      if (this.next >= leg.to || (records.length === 0 && BigInt(batch.highWatermark) <= this.next))
        await this.endLeg(leg);
    } catch (err) {
      this.fail(err as Error);
    } finally {
      clearInterval(beat);
      this.inHandler = false;
      this.lastProgress = Date.now();
    }
    if (this.index < this.legs.length) await heartbeat(); // after the last leg the consumer is being disconnected
  }

  /** Resolves when the last leg is done; rejects on a handler's error or when no record came for stallMs. */
  async finished(stallMs: number): Promise<void> {
    const watchdog = setInterval(() => {
      if (!this.inHandler && Date.now() - this.lastProgress > stallMs)
        this.fail(
          new Error(`no records from ${this.topic} partition ${this.legs[this.index]?.partition} for ${stallMs} ms`),
        );
    }, 1000);
    try {
      await this.done;
    } finally {
      clearInterval(watchdog);
    }
  }

  /** The batch's records inside the leg, from the expected offset on. */
  private take(batch: EachBatchPayload['batch'], leg: Leg): ScannedRecord[] {
    const records: ScannedRecord[] = [];
    for (const m of batch.messages) {
      const o = BigInt(m.offset);
      if (o < this.next) continue; // a batch fetched before our seek
      if (o >= leg.to) break;
      records.push({ partition: batch.partition, offset: m.offset, key: m.key, value: m.value, headers: m.headers });
      this.next = o + 1n;
    }
    return records;
  }

  private async endLeg(leg: Leg): Promise<void> {
    await leg.done?.();
    this.index++;
    if (this.index >= this.legs.length) this.finish();
    else this.activate();
  }
}
