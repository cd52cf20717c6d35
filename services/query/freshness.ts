// Freshness: a decision taken after the ingest receipt of a withdrawal was returned must not permit.
//
// How: ingest answers 202 only after Kafka acknowledged the write with acks=all, so from that moment
// the ledger partition's high-water mark (HW) is past the withdrawal. Before answering, the query
// service reads the HW of every partition it is about to decide from, and waits until the projector
// has applied everything below it (reader.waitForOffset). If the projection does not get there within
// the bound, the answer is 503 + Retry-After — never an answer from a projection that may be stale.
//
// Cost: concurrent requests share one Kafka ListOffsets round trip and one read of the projector's
// progress (Coalescer). A request never reuses a round trip that was already in flight when it arrived
// — that answer could predate its caller's receipt — it waits for the next one.
import { Coalescer } from '../../adapters/coalesce.js';
import { partitionForKey, type Admin } from '../../adapters/kafka.js';
import { DomainError } from '../../adapters/http/problems.js';
import type { ProjectionReader } from '../../projections/reader.js';

export interface FreshnessOptions {
  admin: Admin;
  topic: string;
  partitions: number;
  reader: Pick<ProjectionReader, 'progress' | 'waitForOffset'>;
  /** How long to wait for the projector before answering 503. */
  boundMs: number;
}

/** Partition → high-water mark (the offset the next record will get), as decimal strings. */
export type HighWaterMarks = ReadonlyMap<number, string>;

export class LedgerFreshness {
  private readonly marks: Coalescer<null, Map<number, bigint>>;
  private readonly progress: Coalescer<null, Map<number, bigint>>;
  /** A lower bound of the projector's next offset per partition (it only ever grows). */
  private readonly applied = new Map<number, bigint>();

  constructor(private readonly opts: FreshnessOptions) {
    this.marks = new Coalescer(async (items) => {
      const m = await this.fetchMarks();
      return items.map(() => m);
    });
    this.progress = new Coalescer(async (items) => {
      const p = await opts.reader.progress();
      const m = new Map([...p].map(([k, v]) => [k, BigInt(v)]));
      return items.map(() => m);
    });
  }

  get partitions(): number { return this.opts.partitions; }

  partitionOf(key: string): number { return partitionForKey(key, this.opts.partitions); }

  /** Wait until the projection holds everything the ledger held when this call started, for `parts`. */
  async awaitKeys(keys: readonly string[]): Promise<HighWaterMarks> {
    return this.awaitPartitions([...new Set(keys.map((k) => this.partitionOf(k)))]);
  }

  async awaitAll(): Promise<HighWaterMarks> {
    return this.awaitPartitions(Array.from({ length: this.opts.partitions }, (_, i) => i));
  }

  private async awaitPartitions(parts: readonly number[]): Promise<HighWaterMarks> {
    const [hw] = await this.marks.submit([null]);
    const behind = () => parts.filter((p) => (this.applied.get(p) ?? 0n) < (hw!.get(p) ?? 0n));
    if (behind().length > 0) {
      const [progress] = await this.progress.submit([null]);
      for (const [p, next] of progress!) this.raise(p, next);
    }
    await Promise.all(behind().map(async (p) => {
      const target = hw!.get(p)!;
      const ok = await this.opts.reader.waitForOffset(p, (target - 1n).toString(), this.opts.boundMs);
      if (!ok) {
        throw new DomainError('unavailable', `the projection has not caught up with the ledger within ${this.opts.boundMs} ms; no answer is given from a possibly stale state`);
      }
      this.raise(p, target);
    }));
    return new Map(parts.map((p) => [p, (hw!.get(p) ?? 0n).toString()]));
  }

  private raise(p: number, next: bigint): void {
    if (next > (this.applied.get(p) ?? 0n)) this.applied.set(p, next);
  }

  private async fetchMarks(): Promise<Map<number, bigint>> {
    try {
      const offsets = await this.opts.admin.fetchTopicOffsets(this.opts.topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    } catch {
      throw new DomainError('unavailable', 'the ledger (Kafka) cannot be reached to check that the projection is current');
    }
  }
}
