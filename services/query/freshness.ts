// Freshness: a decision taken after the ingest receipt of a withdrawal was returned must not permit.
//
// How: ingest answers 202 only after Kafka acknowledged the write with acks=all, so from that moment
// the ledger partition's high-water mark (HW) is past the withdrawal. Before answering, the query
// service reads the HW of every partition it is about to decide from, and waits until the projector
// has applied everything below it (reader.waitForOffset). If the projection does not get there within
// the bound, the answer is 503 + Retry-After — never an answer from a projection that may be stale.
//
// A partition the projector is behind on need not be waited for when the ledger's recent keys
// (recentLedgerKeys.ts) show that none of the records it has not applied yet is for a key asked
// about: those keys' projected documents are already what they will be at the high-water mark.
// (Under a mixed load most decisions otherwise waited for the projector to apply other subjects'
// events on the same partition.)
//
// Cost: concurrent requests share Kafka ListOffsets round trips and reads of the projector's progress.
// A request never reuses a round trip that was already in flight when it arrived — that answer could
// predate its caller's receipt — it joins the next one, which starts at once while fewer than
// MAX_IN_FLIGHT are under way.
import { Coalescer } from '../../adapters/coalesce.js';
import { partitionForKey, type Admin } from '../../adapters/kafka.js';
import { DomainError } from '../../contracts/domainError.js';
import type { ProjectionReader } from '../../projections/reader.js';
import { queryMetrics } from './metrics.js';
import type { RecentLedgerKeys } from './recentLedgerKeys.js';

export interface FreshnessOptions {
  admin: Admin;
  topic: string;
  partitions: number;
  reader: Pick<ProjectionReader, 'progress' | 'waitForOffset'>;
  /** How long to wait for the projector before answering 503. */
  boundMs: number;
  recentKeys?: RecentLedgerKeys;
}

/** Partition → high-water mark (the offset the next record will get), as decimal strings. */
export type HighWaterMarks = ReadonlyMap<number, string>;

// One round trip at a time by default: on the shared 2-core test machine, 4 in flight measured
// slower (more Kafka requests competing for the same CPU); raise it against a real cluster.
const MAX_IN_FLIGHT = 1;

/** Calls `fn` for waiting callers; every caller gets the result of a call that STARTED after it asked. */
export class SharedRoundTrip<T> {
  private waiting: { resolve(v: T): void; reject(e: unknown): void }[] = [];
  private inFlight = 0;

  constructor(
    private readonly fn: () => Promise<T>,
    private readonly maxInFlight = MAX_IN_FLIGHT,
  ) {}

  get(): Promise<T> {
    const p = new Promise<T>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.pump();
    return p;
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.waiting;
      this.waiting = [];
      this.inFlight++;
      this.fn()
        .then(
          (v) => {
            for (const w of batch) w.resolve(v);
          },
          (e: unknown) => {
            for (const w of batch) w.reject(e);
          },
        )
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}

export class LedgerFreshness {
  private readonly marks: SharedRoundTrip<Map<number, bigint>>;
  private readonly progress: Coalescer<null, Map<number, bigint>>;
  /** A lower bound of the projector's next offset per partition (it only ever grows). */
  private readonly applied = new Map<number, bigint>();

  constructor(private readonly opts: FreshnessOptions) {
    this.marks = new SharedRoundTrip(() => this.fetchMarks());
    this.progress = new Coalescer(async (items) => {
      const p = await opts.reader.progress();
      const m = new Map([...p].map(([k, v]) => [k, BigInt(v)]));
      return items.map(() => m);
    });
  }

  get partitions(): number {
    return this.opts.partitions;
  }

  partitionOf(key: string): number {
    return partitionForKey(key, this.opts.partitions);
  }

  /**
   * Wait until the projection holds, for each of `keys`, everything the ledger held for it when this
   * call started: the marks returned are the partitions' high-water marks of that moment.
   */
  async awaitKeys(keys: readonly string[]): Promise<HighWaterMarks> {
    const byPartition = new Map<number, string[]>();
    for (const k of keys) {
      const p = this.partitionOf(k);
      byPartition.set(p, [...(byPartition.get(p) ?? []), k]);
    }
    return this.awaitPartitions([...byPartition.keys()], (p, applied, hw) =>
      byPartition.get(p)!.every((k) => this.opts.recentKeys?.unchangedBetween(k, p, Number(applied), Number(hw))),
    );
  }

  async awaitAll(): Promise<HighWaterMarks> {
    return this.awaitPartitions(
      Array.from({ length: this.opts.partitions }, (_, i) => i),
      () => false,
    );
  }

  /** `settled(p, applied, hw)`: nothing between the projector's position and the mark matters to the caller. */
  private async awaitPartitions(
    parts: readonly number[],
    settled: (p: number, applied: bigint, hw: bigint) => boolean,
  ): Promise<HighWaterMarks> {
    const hw = await this.marks.get();
    const behind = () =>
      parts.filter((p) => {
        const applied = this.applied.get(p) ?? 0n;
        const mark = hw.get(p) ?? 0n;
        return applied < mark && !settled(p, applied, mark);
      });
    if (behind().length > 0) {
      const [progress] = await this.progress.submit([null]);
      for (const [p, next] of progress!) this.raise(p, next);
    }
    await Promise.all(
      behind().map(async (p) => {
        const target = hw.get(p)!;
        const ok = await this.opts.reader.waitForOffset(p, (target - 1n).toString(), this.opts.boundMs);
        if (!ok) {
          queryMetrics.freshnessUnavailable.inc({ cause: 'projection-behind' });
          throw new DomainError(
            'unavailable',
            `the projection has not caught up with the ledger within ${this.opts.boundMs} ms; no answer is given from a possibly stale state`,
          );
        }
        this.raise(p, target);
      }),
    );
    return new Map(parts.map((p) => [p, (hw.get(p) ?? 0n).toString()]));
  }

  private raise(p: number, next: bigint): void {
    if (next > (this.applied.get(p) ?? 0n)) this.applied.set(p, next);
  }

  private async fetchMarks(): Promise<Map<number, bigint>> {
    try {
      const offsets = await this.opts.admin.fetchTopicOffsets(this.opts.topic);
      return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    } catch {
      queryMetrics.freshnessUnavailable.inc({ cause: 'ledger-unreachable' });
      throw new DomainError(
        'unavailable',
        'the ledger (Kafka) cannot be reached to check that the projection is current',
      );
    }
  }
}
