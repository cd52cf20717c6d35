// Which ledger partitions this sealer may extend the chain of, enforced by the broker rather than by
// convention. Each ledger partition has ONE transactional id (derived from the two topic names, so
// every sealer of this ledger uses the same one); each checkpoint is published in a transaction of
// that id. Claiming a partition:
//   1. a fresh transactional producer takes the id over: every earlier sealer of the partition is
//      fenced — its open transaction aborted, a commit already under way completed first — and any
//      checkpoint it sends afterwards is refused by the broker (a zombie after a rebalance, a second
//      sealer started by mistake, a paused process that wakes up);
//   2. it commits a mark (an empty record readers skip): a point on the checkpoints partition after
//      everything the fenced sealers committed;
//   3. the checkpoints topic is read past the mark, so the chain resumes from its real last
//      checkpoint — even when another partition's transaction, still open, holds back the stable end.
// A chain read back with two checkpoints of one sequence (a fork: never written by this design, but
// possible if a reader were shown an aborted record) is refused rather than extended.
// Claims race too: a sealer can be fenced during its own claim (another sealer's claim took the id over
// before this one's mark committed). That partition is then left out of the claim (fencedOut), not an
// error: the other sealer has it, and this one tries again later.
// Two sealers may therefore both believe they own a partition, but only the latest claim can commit,
// and it extends the chain it read after fencing the others: one chain, whatever the races.
import type { Kafka, Producer } from '../../adapters/kafka.js';
import { createTransactionalProducer, fenceAndMark, isFenced, sendCommitted } from '../../adapters/kafka.js';
import type { Checkpoint } from '../../contracts/checkpoint.js';
import { CLAIM_MARK_HEADER, readCheckpoints } from '../../ledger/checkpoints.js';

export interface ClaimsOptions {
  ledgerTopic: string;
  checkpointsTopic: string;
  /** A transaction of a sealer that died mid-checkpoint holds back read_committed readers this long at most. */
  transactionTimeoutMs: number;
}

/** The transactional id of a ledger partition's chain. */
export function chainTransactionalId(checkpointsTopic: string, ledgerTopic: string, partition: number): string {
  return `consent-sealer.${checkpointsTopic}.${ledgerTopic}.${partition}`;
}

export interface Claim {
  /** The claimed partitions and their last committed checkpoints (undefined: nothing sealed yet). */
  last: Map<number, Checkpoint | undefined>;
  /** Partitions another sealer claimed while this claim was under way: theirs, not claimed here. */
  fencedOut: number[];
}

export class PartitionClaims {
  private readonly producers = new Map<number, Producer>();

  constructor(
    private readonly kafka: Kafka,
    private readonly o: ClaimsOptions,
  ) {}

  /** Fence every other sealer of `partitions`, then read their last committed checkpoints. A partition
   *  another sealer claimed meanwhile (fencing this claim) is in `fencedOut` and not claimed. */
  async claim(partitions: readonly number[]): Promise<Claim> {
    const settled = await Promise.allSettled(partitions.map((p) => this.fence(p)));
    const marks: { partition: number; offset: bigint }[] = [];
    const claimed: number[] = [];
    const fencedOut: number[] = [];
    for (const [i, s] of settled.entries()) {
      if (s.status === 'fulfilled') {
        marks.push(s.value);
        claimed.push(partitions[i]!);
      } else if (isFenced(s.reason)) fencedOut.push(partitions[i]!);
      else {
        // An unknown outcome: nothing of this claim is trusted.
        await Promise.all(partitions.map((p) => this.release(p)));
        throw s.reason;
      }
    }
    const last = new Map<number, Checkpoint | undefined>();
    if (claimed.length === 0) return { last, fencedOut };
    const until = new Map<number, bigint>();
    for (const m of marks) {
      const after = m.offset + 1n;
      if (after > (until.get(m.partition) ?? 0n)) until.set(m.partition, after);
    }
    const log = await readCheckpoints(this.kafka, this.o.checkpointsTopic, this.o.ledgerTopic, { until });
    for (const p of claimed) last.set(p, lastOfChain(p, log.byPartition.get(p) ?? []));
    return { last, fencedOut };
  }

  /** Publish `checkpoint` in a committed transaction of its partition's claim. */
  async publish(partition: number, checkpoint: Checkpoint): Promise<void> {
    const producer = this.producers.get(partition);
    if (!producer) throw new Error(`partition ${partition} is not claimed`);
    await sendCommitted(producer, this.o.checkpointsTopic, [
      {
        key: String(partition),
        value: JSON.stringify(checkpoint),
        headers: { 'content-type': 'application/json' },
      },
    ]);
  }

  /** Let the partition go (another sealer has it, or its claim was lost): its producer is closed. */
  async release(partition: number): Promise<void> {
    const producer = this.producers.get(partition);
    this.producers.delete(partition);
    await producer?.disconnect().catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers.keys()].map((p) => this.release(p)));
  }

  private async fence(partition: number) {
    // Always a new producer: one that failed (fenced, or an unknown outcome) cannot be trusted again.
    await this.release(partition);
    const producer = createTransactionalProducer(
      this.kafka,
      chainTransactionalId(this.o.checkpointsTopic, this.o.ledgerTopic, partition),
      this.o.transactionTimeoutMs,
    );
    await producer.connect();
    try {
      const mark = await fenceAndMark(producer, this.o.checkpointsTopic, {
        key: String(partition),
        value: null,
        headers: { [CLAIM_MARK_HEADER]: 'sealer-claim' },
      });
      this.producers.set(partition, producer);
      return mark;
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw err;
    }
  }
}

/** The chain's last checkpoint; throws if the chain read back is not one sequence 0, 1, 2, … */
function lastOfChain(partition: number, list: readonly Checkpoint[]): Checkpoint | undefined {
  const broken = list.findIndex((c, i) => c.sequence !== i);
  if (broken >= 0)
    throw new Error(
      `partition ${partition}: checkpoint ${broken} of the chain read back has sequence ${list[broken]!.sequence}; not extending it`,
    );
  return list.at(-1);
}
