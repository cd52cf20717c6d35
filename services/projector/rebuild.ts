// Rebuild: replay the ledger from offset 0 into a fresh generation of projection collections, catch
// up, and switch every reader and the live projector over with one document update.
//
// 1. a new generation name; the ledger's end offsets taken now are the target (the progress bar);
// 2. the projector's own consumer code (consumer.ts) writes that generation, in a consumer group of
//    its own (deleted at the end), from offset 0; poison records are skipped, not dead-lettered again;
// 3. when every partition reached the target, one catch-up round to the then-current end offsets;
// 4. the consumer stops (its last batch finished), `projection_meta/active` is switched; the live
//    projector notices (at its next batch, or within SWITCH_WATCH_MS when idle) that the new
//    generation's progress is behind what it has committed and seeks back to it, so the records
//    written during the switch are applied there too;
// 5. after a grace period (readers cache the active generation for META_TTL_MS) the old generation
//    is dropped — unless `keepPrevious` (to compare both, as the acceptance test does).
// Throughout, it holds the rebuild lease (projections/rebuildLease.ts): one rebuild at a time, and the
// half-built generation of a rebuild that was killed is dropped by the next one.
import type { Kafka } from '../../adapters/kafka.js';
import type { Db } from '../../adapters/mongo.js';
import { errorMessage, type Logger } from '../../adapters/logger.js';
import {
  dropGeneration,
  markPreviousDropped,
  newGenerationName,
  switchGeneration,
} from '../../projections/generation.js';
import { META_TTL_MS } from '../../projections/reader.js';
import { takeRebuildLease } from '../../projections/rebuildLease.js';
import { startProjector, type BatchReport } from './consumer.js';

export interface RebuildOptions {
  kafka: Kafka;
  db: Db;
  log: Logger;
  topic: string;
  deadLetterTopic: string;
  groupId: string;
  keepPrevious?: boolean;
  /** Called as records are applied: done and total ledger offsets of the current target. */
  progress?: (done: number, total: number) => void;
  /** Grace before dropping the old generation (default: several reader cache periods). */
  dropAfterMs?: number;
}

export interface RebuildResult {
  generation: string;
  previous: string;
  /** The half-built generation of a killed rebuild that this one dropped first, if any. */
  droppedOrphan?: string;
  /** Ledger records read (valid and poison) up to the target, and how long it took. */
  records: number;
  events: number;
  seconds: number;
}

export async function rebuild(o: RebuildOptions): Promise<RebuildResult> {
  const started = performance.now();
  const name = newGenerationName();
  const groupId = `${o.groupId}.rebuild.${name}`;
  const lease = await takeRebuildLease(o.db, name);
  if (lease.dropped)
    o.log.warn({ generation: lease.dropped }, 'dropped the half-built generation of a rebuild that did not finish');
  const admin = o.kafka.admin();
  await admin.connect();
  try {
    const catchUp = new CatchUp(await endOffsets(admin, o.topic), (done, total) => o.progress?.(done, total));
    o.log.info({ generation: name, records: catchUp.total() }, 'rebuild started');
    const projector = await startProjector({
      kafka: o.kafka,
      db: o.db,
      log: o.log,
      groupId,
      topic: o.topic,
      deadLetterTopic: o.deadLetterTopic,
      generation: name,
      freshGeneration: true,
      onBatch: (r) => catchUp.applied(r),
    });
    projector.consumer.on(projector.consumer.events.CRASH, (e) => {
      if (!e.payload.restart) catchUp.crashed(e.payload.error);
    });
    try {
      await catchUp.untilReached();
      const records = catchUp.total();
      const seconds = (performance.now() - started) / 1000;
      catchUp.retarget(await endOffsets(admin, o.topic)); // catch up with what was written meanwhile
      await catchUp.untilReached();
      await projector.disconnect();
      const previous = await switchGeneration(o.db, name);
      o.log.info({ generation: name, previous, records, seconds }, 'rebuild caught up: switched over');
      if (!o.keepPrevious && previous !== name) {
        // Readers cache the active generation for META_TTL_MS: give them time to move on first.
        await new Promise((r) => setTimeout(r, o.dropAfterMs ?? 4 * META_TTL_MS + 1000));
        await dropGeneration(o.db, previous);
        await markPreviousDropped(o.db, previous);
      }
      return { generation: name, previous, records, events: catchUp.events, seconds, droppedOrphan: lease.dropped };
    } finally {
      await projector.disconnect();
    }
  } finally {
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
    await lease
      .release()
      .catch((err: unknown) =>
        o.log.warn({ err: errorMessage(err) }, 'could not release the rebuild lease; the next rebuild takes it over'),
      );
  }
}

/** How far the rebuild's consumer has got against a target of end offsets, and waiting until it is there. */
class CatchUp {
  private readonly done = new Map<number, bigint>();
  events = 0;
  private crash: Error | undefined;
  private wake: () => void = () => undefined;

  constructor(
    private target: Map<number, bigint>,
    private readonly progress?: (done: number, total: number) => void,
  ) {}

  total(): number {
    return Number([...this.target.values()].reduce((a, b) => a + b, 0n));
  }

  applied(r: BatchReport): void {
    this.done.set(r.partition, BigInt(r.nextOffset));
    this.events += r.events;
    this.report();
    this.wake();
  }

  crashed(err: Error): void {
    this.crash = err;
    this.wake();
  }

  retarget(target: Map<number, bigint>): void {
    this.target = target;
    this.report();
  }

  /** Every partition at its target; rejects if the consumer crashed for good. */
  async untilReached(): Promise<void> {
    while (![...this.target].every(([p, end]) => (this.done.get(p) ?? 0n) >= end)) {
      if (this.crash) throw this.crash;
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, 1000);
      });
    }
  }

  private report(): void {
    const done = [...this.target].reduce((sum, [p, end]) => sum + min(this.done.get(p) ?? 0n, end), 0n);
    this.progress?.(Number(done), this.total());
  }
}

async function endOffsets(admin: ReturnType<Kafka['admin']>, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
