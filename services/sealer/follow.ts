// The sealer's ledger consumer: a consumer group, so N sealers share the partitions. The group only
// says which partitions to *try*; the claims (claims.ts) decide who may extend a chain. On every
// assignment the partitions this member lost are released, and a partition is claimed before its
// first records are sealed (all unclaimed assigned partitions at once: one read of the checkpoints).
// A partition lost on a failed publish (fenced by another sealer, or an unknown outcome) is released
// and read again from its last checkpoint seen committed, so its next batch claims it afresh — after
// FENCED_BACKOFF_MS if another sealer fenced it: two sealers that both follow it (misconfigured in
// two groups) then take turns instead of fencing each other at every checkpoint. A claim fenced by
// another sealer's claim (both claiming at once) backs off the same way: it is no failure of this
// process, and crashing on it would leave the partition to a sealer that may be gone.
import type { Consumer, Kafka, EachBatchPayload } from '../../adapters/kafka.js';
import { createConsumer, isFenced } from '../../adapters/kafka.js';
import { errorMessage, type Logger } from '../../adapters/logger.js';
import type { Checkpoint } from '../../contracts/checkpoint.js';
import type { PartitionClaims } from './claims.js';
import { PartitionLost, type Sealer } from './sealer.js';

export interface FollowOptions {
  kafka: Kafka;
  sealer: Sealer;
  claims: PartitionClaims;
  ledgerTopic: string;
  groupId: string;
  log: Logger;
  /** Whether this sealer can vouch for a partition's last checkpoint (signed with its own key). */
  trusted(c: Checkpoint): boolean;
  /** Called for a last checkpoint it cannot vouch for: refuse to extend it (the process stops). */
  refuse(partition: number, c: Checkpoint): never;
}

export const FENCED_BACKOFF_MS = 10_000;

export class LedgerFollower {
  private assigned = new Set<number>();
  /** Partitions another sealer fenced this one out of, and until when they are left to it. */
  private readonly fencedUntil = new Map<number, number>();
  readonly consumer: Consumer;

  constructor(private readonly o: FollowOptions) {
    this.consumer = createConsumer(o.kafka, { groupId: o.groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      this.assigned = new Set(e.payload.memberAssignment[o.ledgerTopic] ?? []);
      void this.releaseUnassigned();
    });
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.o.ledgerTopic, fromBeginning: true });
    await this.consumer.run({ eachBatch: (payload) => this.onBatch(payload) });
  }

  /** Partitions whose checkpoint could not be published (from the flush timer or a batch). */
  lost(lost: readonly PartitionLost[]): void {
    for (const l of lost) {
      const at = { partition: l.partition, resumeFrom: l.resumeFrom.toString() };
      if (isFenced(l.cause)) {
        this.o.log.warn(at, 'another sealer claimed this partition: its chain is theirs now');
        this.fencedUntil.set(l.partition, Date.now() + FENCED_BACKOFF_MS);
      } else this.o.log.error({ ...at, err: errorMessage(l.cause) }, 'checkpoint not published: claiming again');
      void this.o.claims.release(l.partition);
      // Read its unsealed records again; if it is still ours, the next batch claims it afresh.
      if (this.assigned.has(l.partition))
        this.consumer.seek({ topic: this.o.ledgerTopic, partition: l.partition, offset: l.resumeFrom.toString() });
    }
  }

  private async releaseUnassigned(): Promise<void> {
    for (const p of this.o.sealer.claimed) {
      if (this.assigned.has(p)) continue;
      await this.o.sealer.release(p);
      await this.o.claims.release(p);
      this.o.log.info({ partition: p }, 'partition assigned to another sealer: released');
    }
  }

  private backingOff(partition: number): number {
    const wait = (this.fencedUntil.get(partition) ?? 0) - Date.now();
    if (wait <= 0) this.fencedUntil.delete(partition);
    return Math.max(0, wait);
  }

  /** Leave a fenced partition alone for a while: read this batch again once the back-off is over. */
  private later(partition: number, offset: string, ms: number): void {
    const topic = this.o.ledgerTopic;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    this.consumer.seek({ topic, partition, offset });
    setTimeout(() => this.consumer.resume([{ topic, partitions: [partition] }]), ms).unref();
  }

  private async claim(partition: number): Promise<void> {
    const wanted = [...new Set([partition, ...this.assigned])].filter(
      (p) => !this.o.sealer.isClaimed(p) && (p === partition || this.backingOff(p) === 0),
    );
    const { last, fencedOut } = await this.o.claims.claim(wanted);
    for (const p of fencedOut) {
      this.o.log.warn({ partition: p }, 'another sealer claimed this partition: its chain is theirs now');
      this.fencedUntil.set(p, Date.now() + FENCED_BACKOFF_MS);
    }
    for (const [p, c] of last) {
      if (c && !this.o.trusted(c)) this.o.refuse(p, c);
      await this.o.sealer.restore(p, c);
    }
    if (last.size === 0) return;
    const claimed = [...last.keys()];
    this.o.log.info(
      { partitions: claimed, resumeAt: claimed.map((p) => this.o.sealer.expectedOffset(p).toString()) },
      'partitions claimed: earlier sealers fenced, resuming after their last checkpoints',
    );
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (!payload.isRunning() || batch.messages.length === 0) return;
    const p = batch.partition;
    if (!this.o.sealer.isClaimed(p)) {
      const wait = this.backingOff(p);
      if (wait > 0) {
        this.later(p, batch.messages[0]!.offset, wait);
        return;
      }
      // A claim may wait for another sealer's open transaction to settle: stay in the group meanwhile.
      const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 3000);
      try {
        await this.claim(p);
      } finally {
        clearInterval(beat);
      }
      if (!this.o.sealer.isClaimed(p)) {
        this.later(p, batch.messages[0]!.offset, this.backingOff(p));
        return;
      }
    }
    const expected = this.o.sealer.expectedOffset(p);
    // The group's committed offset is only a hint; the checkpoints say where sealing resumes.
    if (BigInt(batch.messages[0]!.offset) > expected) {
      this.consumer.seek({ topic: this.o.ledgerTopic, partition: p, offset: expected.toString() });
      return;
    }
    try {
      await this.o.sealer.add(
        p,
        batch.messages.map((m) => ({ offset: m.offset, value: m.value })),
      );
    } catch (err) {
      if (!(err instanceof PartitionLost)) throw err;
      this.lost([err]);
      return;
    }
    await payload.heartbeat();
  }
}
