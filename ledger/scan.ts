// Reads a topic as an auditor does: a snapshot up to the end offsets taken at the start, ONE partition
// range ("leg") at a time, in a caller-given order. One leg at a time is what bounds memory: a subject
// lives on one partition, so replay can fold a partition (or a slice of its subjects) and let it go
// before the next. kafkajs has no manual assignment, so the scanner subscribes (fresh group id, no
// commits) and steers with pause/seek/resume; records of any other partition that arrive are ignored.
import { randomUUID } from 'node:crypto';
import { createConsumer, type Kafka, type IHeaders } from '../adapters/kafka.js';

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
  let handled = 0;
  let lastProgress = Date.now();
  let inHandler = false;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const allPartitions = [...new Set(legs.map((l) => l.partition))];
    let index = 0;
    let next = pending[0]!.from;
    let finished!: () => void;
    let failed!: (e: Error) => void;
    const whenDone = new Promise<void>((res, rej) => {
      finished = res;
      failed = rej;
    });
    const activate = (leg: Leg) => {
      consumer.pause([{ topic, partitions: allPartitions.filter((p) => p !== leg.partition) }]);
      consumer.seek({ topic, partition: leg.partition, offset: leg.from.toString() });
      consumer.resume([{ topic, partitions: [leg.partition] }]);
      next = leg.from;
    };
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const leg = pending[index];
        if (!leg || batch.partition !== leg.partition) return;
        const records: ScannedRecord[] = [];
        for (const m of batch.messages) {
          const o = BigInt(m.offset);
          if (o < next) continue; // a batch fetched before our seek
          if (o >= leg.to) break;
          records.push({
            partition: batch.partition,
            offset: m.offset,
            key: m.key,
            value: m.value,
            headers: m.headers,
          });
          next = o + 1n;
        }
        // A handler may take long (replay compares with the projection at the end of a leg): keep the
        // group membership alive meanwhile, and do not count handler time as a stalled broker.
        const beat = setInterval(() => {
          heartbeat().catch(() => undefined);
        }, 2000);
        inHandler = true;
        try {
          if (records.length > 0) {
            await leg.onRecords(records);
            handled += records.length;
            opts.progress?.(handled);
          }
          // The last offset before `to` may be missing (a deleted record at the end): the batch's high watermark tells.
          if (next >= leg.to || (records.length === 0 && BigInt(batch.highWatermark) <= next)) {
            await leg.done?.();
            index++;
            if (index >= pending.length) {
              finished();
              return;
            }
            activate(pending[index]!);
          }
        } catch (err) {
          failed(err as Error);
        } finally {
          clearInterval(beat);
          inHandler = false;
          lastProgress = Date.now();
        }
        await heartbeat();
      },
    });
    activate(pending[0]!);
    const stallMs = opts.stallMs ?? 30_000;
    const watchdog = setInterval(() => {
      if (!inHandler && Date.now() - lastProgress > stallMs)
        failed(new Error(`no records from ${topic} partition ${pending[index]?.partition} for ${stallMs} ms`));
    }, 1000);
    try {
      await whenDone;
    } finally {
      clearInterval(watchdog);
    }
  } finally {
    await consumer.disconnect();
  }
}
