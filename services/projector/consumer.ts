// The projector's consumer: ledger records → projection documents, one partition batch at a time.
// The live projector and the rebuild run this same code; they differ only in the generation they
// write (the live one follows `projection_meta/active`, a rebuild writes its own new generation) and
// in their consumer group.
//
// Position: the generation's progress document is authoritative, not the Kafka group offset. Each
// batch reads it first: records before it are already applied (skipped); a batch that starts AFTER
// it means this generation has not seen the records in between — after a rebuild's switch-over the
// new generation is a little behind what the group has committed — so the consumer seeks back to it.
// Offsets are committed (by ledger/reader.ts) only after documents and progress are written.
// An idle projector gets no batch to notice a switch-over with, so a timer also watches the active
// generation and, when it changes, seeks each assigned partition to the new generation's progress.
import type { Consumer, Kafka, Producer } from '../../adapters/kafka.js';
import type { Db } from '../../adapters/mongo.js';
import { errorMessage, type Logger } from '../../adapters/logger.js';
import { startLedgerReader, type LedgerBatch, type LedgerRecord } from '../../ledger/reader.js';
import { dropGeneration, generation, readMeta, type Generation } from '../../projections/generation.js';
import { applyRecords, loadKnownIds, nextOffset, recordProgress, type KnownIds } from '../../projections/writer.js';

export interface BatchReport {
  generation: string;
  partition: number;
  events: number;
  subjectsWritten: number;
  dataUsersWritten: number;
  nextOffset: string;
  /** Records on the partition not yet applied when the batch was fetched, after this batch. */
  lag: bigint;
  ms: number;
}

export interface ProjectorOptions {
  kafka: Kafka;
  db: Db;
  log: Logger;
  groupId: string;
  topic: string;
  deadLetterTopic: string;
  /** Absent (rebuild): poison records are skipped without being dead-lettered a second time. */
  deadLetters?: Producer;
  /** Write this generation; absent: follow the active one. */
  generation?: string;
  /** The generation is new and empty (a rebuild): no need to load its ids (writer.ts KnownIds). */
  freshGeneration?: boolean;
  onBatch?(report: BatchReport): void;
}

export interface Projector {
  consumer: Consumer;
  /** Stop: the batch in flight finishes (and is committed) first. */
  disconnect(): Promise<void>;
}

export async function startProjector(o: ProjectorOptions): Promise<Projector> {
  const known = knownIdsCache(o);
  const assigned = new Set<number>();
  const consumer = await startLedgerReader(o.kafka, {
    groupId: o.groupId,
    topic: o.topic,
    deadLetterTopic: o.deadLetterTopic,
    ...(o.deadLetters && { deadLetters: o.deadLetters }),
    handleEmptyBatches: true,
    fromBeginning: true,
    log: o.log,
    handle: batchHandler(o, generationFollower(o), known),
    assigned: (partitions) => {
      assigned.clear();
      for (const p of partitions) assigned.add(p);
      // Other instances may have written while these partitions were theirs.
      if (!o.freshGeneration) known.clear();
    },
  });
  // kafkajs disconnects and reconnects by itself after a retriable crash, so the watch ends only here.
  const unwatch = o.generation ? () => undefined : followSwitches(o, consumer, assigned);
  return {
    consumer,
    disconnect: async () => {
      unwatch();
      await consumer.disconnect();
    },
  };
}

interface KnownIdsCache {
  get(name: string, g: Generation): Promise<KnownIds>;
  clear(): void;
}

/** Which ids have documents, per generation (writer.ts KnownIds): a fresh generation starts empty,
 *  any other is loaded once (and again after clear()). */
function knownIdsCache(o: ProjectorOptions): KnownIdsCache {
  const known = new Map<string, Promise<KnownIds>>();
  return {
    get: (name, g) => {
      let k = known.get(name);
      if (!k) {
        k =
          o.freshGeneration && name === o.generation
            ? Promise.resolve({ subjects: new Set<string>(), dataUsers: new Set<string>() })
            : loadKnownIds(g);
        k.catch(() => known.delete(name));
        known.set(name, k);
      }
      return k;
    },
    clear: () => known.clear(),
  };
}

/** The generation a batch writes: the one given (a rebuild), else the active one. */
function generationFollower(o: ProjectorOptions): () => Promise<string> {
  let lastGeneration: string | undefined;
  return async () => {
    if (o.generation) return o.generation;
    const meta = await readMeta(o.db);
    // A batch that was writing to the old generation at the switch may have recreated its
    // collections after the rebuild dropped them: drop them again once we have moved on.
    if (
      lastGeneration &&
      lastGeneration !== meta.generation &&
      meta.previous === lastGeneration &&
      meta.previousDropped
    ) {
      await dropGeneration(o.db, lastGeneration);
      o.log.info(
        { generation: meta.generation, previous: lastGeneration },
        'following the rebuilt projection generation',
      );
    }
    lastGeneration = meta.generation;
    return meta.generation;
  };
}

/** One partition batch: position it against the generation's progress (see the header), then apply. */
function batchHandler(o: ProjectorOptions, targetGeneration: () => Promise<string>, known: KnownIdsCache) {
  // Per generation and partition, the offset we last sought back to: if Kafka has no records there
  // (a gap, e.g. transaction markers), seeking again would loop, so the second time we go on.
  const sought = new Map<string, bigint>();
  const seekBackOnce = (name: string, partition: number, resume: bigint, batch: LedgerBatch): boolean => {
    const at = { generation: name, partition, from: resume.toString(), batchStart: batch.firstOffset };
    const key = `${name}:${partition}`;
    if (sought.get(key) === resume) {
      o.log.warn(at, 'no ledger records between progress and batch start: continuing');
      return false;
    }
    sought.set(key, resume);
    o.log.info(at, 'projection is behind this batch: re-reading from its progress');
    return true;
  };

  return async (records: LedgerRecord[], partition: number, batch: LedgerBatch) => {
    const started = performance.now();
    const name = await targetGeneration();
    const g = generation(o.db, name);
    const resume = BigInt(await nextOffset(g, partition));
    const first = BigInt(batch.firstOffset);
    if (first > resume && seekBackOnce(name, partition, resume, batch)) return { seekTo: resume.toString() };
    if (BigInt(batch.nextOffset) <= resume) return; // already applied (e.g. the group offset was behind our progress)
    const fresh = resume > first ? records.filter((r) => BigInt(r.offset) >= resume) : records;
    const t1 = performance.now();
    const applied = await applyRecords(g, fresh, await known.get(name, g));
    const t2 = performance.now();
    await recordProgress(g, partition, batch.nextOffset);
    o.log.trace(
      {
        partition,
        positionMs: Math.round(t1 - started),
        applyMs: Math.round(t2 - t1),
        progressMs: Math.round(performance.now() - t2),
      },
      'batch timing',
    );
    o.onBatch?.({
      generation: name,
      partition,
      ...applied,
      nextOffset: batch.nextOffset,
      lag: BigInt(batch.highWatermark) - BigInt(batch.nextOffset),
      ms: performance.now() - started,
    });
  };
}

const SWITCH_WATCH_MS = 1000;

function followSwitches(o: ProjectorOptions, consumer: Consumer, assigned: ReadonlySet<number>): () => void {
  let seen: string | undefined;
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      const name = (await readMeta(o.db)).generation;
      if (seen !== undefined && name !== seen) {
        const g = generation(o.db, name);
        for (const partition of assigned) {
          const offset = await nextOffset(g, partition);
          consumer.seek({ topic: o.topic, partition, offset });
          o.log.info(
            { generation: name, partition, offset },
            'projection generation switched: reading on from its progress',
          );
        }
      }
      seen = name;
    })()
      .catch((err: unknown) =>
        o.log.warn({ err: errorMessage(err) }, 'could not check the active projection generation'),
      )
      .finally(() => {
        checking = false;
      });
  }, SWITCH_WATCH_MS);
  timer.unref();
  return () => clearInterval(timer);
}
