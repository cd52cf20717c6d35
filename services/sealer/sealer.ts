// The sealer's state and duty: extend each partition's chain with every record, and cut a signed
// checkpoint every N records or T ms, whichever first.
//
// Restart safety: the ONLY state that matters is the checkpoints topic. At start the sealer reads
// each partition's last checkpoint and resumes at the offset after it, so nothing is skipped (no gap)
// and nothing is sealed twice (no duplicate chain). A record is only "sealed" once its checkpoint was
// acknowledged (acks=all, idempotent producer); a failed publish is fatal — the process exits and its
// successor resumes from what is really on the topic, never from memory or a consumer-group offset.
// One sealer per ledger partition at a time (run one instance, or a consumer group whose partitions
// are disjoint): two writers on one partition would fork its chain, which verify reports.
import type { KeyObject } from 'node:crypto';
import type { Producer } from '../../adapters/kafka.js';
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
  producer: Producer;
  ledgerTopic: string;
  checkpointsTopic: string;
  signingKey: KeyObject;
  publicKey: KeyObject;
  everyRecords: number;
  everyMs: number;
  now?: () => Date;
  onCheckpoint?(c: Checkpoint): void;
}

interface Open {
  segment: ChainSegment;
  since: number;
}

export class Sealer {
  private readonly tips = new Map<number, ChainTip>();
  private readonly open = new Map<number, Open>();
  private lock: Promise<unknown> = Promise.resolve();
  private readonly keyId: string;
  private readonly now: () => Date;

  constructor(private readonly o: SealerOptions) {
    this.keyId = keyIdOf(o.publicKey);
    this.now = o.now ?? (() => new Date());
  }

  /** Resume from the checkpoints already published (their last one per partition). */
  restore(lastCheckpoints: Iterable<Checkpoint>): void {
    for (const c of lastCheckpoints) this.tips.set(c.partition, tipAfter(c));
  }

  tip(partition: number): ChainTip {
    return this.tips.get(partition) ?? initialTip(partition);
  }

  /** The offset the partition's next record must have: records before it are sealed or in the open segment. */
  expectedOffset(partition: number): bigint {
    const open = this.open.get(partition);
    const last = open?.segment.lastOffset;
    return last !== undefined ? BigInt(last) + 1n : BigInt(this.tip(partition).nextOffset);
  }

  /** Serialise batch handling, timers and shutdown: one thing touches the chains at a time. */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Records of one partition in offset order, starting at expectedOffset(partition). */
  add(partition: number, records: { offset: string; value: Buffer | null }[]): Promise<void> {
    return this.exclusive(async () => {
      for (const r of records) {
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

  /** Cut every open segment older than everyMs (or all of them when `all`). */
  flush(all = false): Promise<number> {
    return this.exclusive(async () => {
      let cut = 0;
      for (const [partition, open] of [...this.open]) {
        if (all || Date.now() - open.since >= this.o.everyMs) {
          await this.cut(partition);
          cut++;
        }
      }
      return cut;
    });
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
    await this.o.producer.send({
      topic: this.o.checkpointsTopic,
      acks: -1,
      messages: [
        { key: String(partition), value: JSON.stringify(checkpoint), headers: { 'content-type': 'application/json' } },
      ],
    });
    this.tips.set(partition, tipAfter(checkpoint));
    this.open.delete(partition);
    this.o.onCheckpoint?.(checkpoint);
  }
}
