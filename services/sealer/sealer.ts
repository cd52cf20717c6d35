// The sealer's state and duty: extend each claimed partition's chain with every record, and cut a
// signed checkpoint every N records or T ms, whichever first.
//
// The ONLY state that matters is the checkpoints topic. A partition is sealed here only after it was
// claimed (claims.ts: every earlier sealer of it fenced, its last checkpoint read back) and restored
// from that checkpoint, so nothing is skipped (no gap) and nothing is sealed twice (no second chain).
// A record is "sealed" once its checkpoint's transaction committed. Any publish failure loses the
// partition: its state here is dropped (a fenced sealer's chain head is stale; after an unknown
// outcome only the topic knows), and the next claim reads what is really there.
import type { KeyObject } from 'node:crypto';
import {
  ChainSegment,
  initialTip,
  keyIdOf,
  signCheckpoint,
  tipAfter,
  type ChainTip,
  type Checkpoint,
} from '../../contracts/checkpoint.js';

export interface SealerOptions {
  /** Publish one checkpoint of `partition` (a committed transaction of that partition's claim). */
  publish(partition: number, checkpoint: Checkpoint): Promise<void>;
  ledgerTopic: string;
  signingKey: KeyObject;
  publicKey: KeyObject;
  everyRecords: number;
  everyMs: number;
  now?: () => Date;
  onCheckpoint?(c: Checkpoint): void;
}

/** A partition whose checkpoint could not be published: no longer sealed here until claimed again. */
export class PartitionLost extends Error {
  override readonly name = 'PartitionLost';
  constructor(
    readonly partition: number,
    /** The first offset not covered by a checkpoint this sealer saw committed. */
    readonly resumeFrom: bigint,
    override readonly cause: unknown,
  ) {
    super(`partition ${partition}: checkpoint not published (${(cause as Error)?.message ?? String(cause)})`);
  }
}

interface Open {
  segment: ChainSegment;
  since: number;
}

export class Sealer {
  /** Claimed partitions and their chain tips (after their last committed checkpoint). */
  private readonly tips = new Map<number, ChainTip>();
  private readonly open = new Map<number, Open>();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly keyId: string;
  private readonly now: () => Date;

  constructor(private readonly o: SealerOptions) {
    this.keyId = keyIdOf(o.publicKey);
    this.now = o.now ?? (() => new Date());
  }

  isClaimed(partition: number): boolean {
    return this.tips.has(partition);
  }

  get claimed(): number[] {
    return [...this.tips.keys()];
  }

  /** Seal `partition` on from its last committed checkpoint (undefined: nothing sealed yet). */
  restore(partition: number, last: Checkpoint | undefined): Promise<void> {
    return this.exclusive(() => {
      this.open.delete(partition);
      this.tips.set(partition, last ? tipAfter(last) : initialTip(partition));
      return Promise.resolve();
    });
  }

  /** Stop sealing `partition` (another sealer has it now); its open segment is left to that one. */
  release(partition: number): Promise<void> {
    return this.exclusive(() => {
      this.drop(partition);
      return Promise.resolve();
    });
  }

  tip(partition: number): ChainTip {
    const tip = this.tips.get(partition);
    if (!tip) throw new Error(`partition ${partition} is not claimed by this sealer`);
    return tip;
  }

  /** The offset the partition's next record must have: records before it are sealed or in the open segment. */
  expectedOffset(partition: number): bigint {
    const open = this.open.get(partition);
    const last = open?.segment.lastOffset;
    return last !== undefined ? BigInt(last) + 1n : BigInt(this.tip(partition).nextOffset);
  }

  /** Serialise batch handling, timers, claims and shutdown: one thing touches the chains at a time. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Records of one claimed partition in offset order, starting at expectedOffset(partition).
   *  Rejects with PartitionLost when a checkpoint could not be published. */
  add(partition: number, records: { offset: string; value: Buffer | null }[]): Promise<void> {
    return this.exclusive(async () => {
      for (const r of records) {
        if (!this.tips.has(partition)) return; // released meanwhile
        if (BigInt(r.offset) < this.expectedOffset(partition)) continue; // already sealed (re-delivery)
        let open = this.open.get(partition);
        if (!open) {
          open = { segment: new ChainSegment(this.tip(partition)), since: Date.now() };
          this.open.set(partition, open);
        }
        open.segment.add(r.offset, r.value);
        if (open.segment.count >= this.o.everyRecords) await this.cut(partition);
      }
    });
  }

  /** Cut every open segment older than everyMs (or all of them when `all`); the partitions lost on the way. */
  flush(all = false): Promise<{ cut: number; lost: PartitionLost[] }> {
    return this.exclusive(async () => {
      let cut = 0;
      const lost: PartitionLost[] = [];
      for (const [partition, open] of [...this.open]) {
        if (all || Date.now() - open.since >= this.o.everyMs) {
          try {
            await this.cut(partition);
            cut++;
          } catch (err) {
            if (!(err instanceof PartitionLost)) throw err;
            lost.push(err);
          }
        }
      }
      return { cut, lost };
    });
  }

  private drop(partition: number): void {
    this.tips.delete(partition);
    this.open.delete(partition);
  }

  private async cut(partition: number): Promise<void> {
    const open = this.open.get(partition);
    if (!open || open.segment.count === 0) return;
    const body = open.segment.body(
      this.o.ledgerTopic,
      this.now()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      this.keyId,
    );
    const checkpoint = signCheckpoint(body, this.o.signingKey);
    try {
      await this.o.publish(partition, checkpoint);
    } catch (err) {
      // Never retried in place: the same sequence twice would fork the chain if the first landed.
      const resumeFrom = BigInt(this.tip(partition).nextOffset);
      this.drop(partition);
      throw new PartitionLost(partition, resumeFrom, err);
    }
    this.tips.set(partition, tipAfter(checkpoint));
    this.open.delete(partition);
    this.o.onCheckpoint?.(checkpoint);
  }
}
