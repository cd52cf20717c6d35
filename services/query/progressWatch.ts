// Waiting for the projector, shared: every request that must wait for the projection to reach an offset
// registers here, and ONE loop reads the projector's progress (all partitions, one query) per poll for
// all of them. Before, each waiting request polled its partition's progress document itself every
// 25 ms: under the mixed bench load (64 callers, ingest writing) that was thousands of reads a second
// against the store the projector writes to — mongodb + bson were 21 % of the query service's CPU
// profile, and the projector it waited for slowed down.

/** partition → the projector's next offset to apply. */
export type Progress = ReadonlyMap<number, bigint>;

interface Waiter {
  partition: number;
  target: bigint;
  deadline: number;
  resolve(reached: boolean): void;
  reject(err: unknown): void;
}

export class ProgressWatch {
  private waiters: Waiter[] = [];
  private polling = false;

  constructor(
    private readonly read: () => Promise<Progress>,
    /** Every progress read, also to the caller's own lower bounds. */
    private readonly seen: (progress: Progress) => void,
    private readonly pollMs = 25,
  ) {}

  /** Resolves true once the projector's next offset on `partition` is ≥ `target`, false at the timeout. */
  reach(partition: number, target: bigint, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ partition, target, deadline: Date.now() + timeoutMs, resolve, reject });
      if (!this.polling) void this.poll();
    });
  }

  private async poll(): Promise<void> {
    this.polling = true;
    try {
      while (this.waiters.length > 0) {
        let progress: Progress;
        try {
          progress = await this.read();
        } catch (err) {
          // The store is down: every waiter gets the error (the API answers 503), none waits on.
          for (const w of this.waiters.splice(0)) w.reject(err);
          return;
        }
        this.seen(progress);
        const now = Date.now();
        this.waiters = this.waiters.filter((w) => {
          if ((progress.get(w.partition) ?? 0n) >= w.target) w.resolve(true);
          else if (now >= w.deadline) w.resolve(false);
          else return true;
          return false;
        });
        if (this.waiters.length === 0) return;
        const soonest = Math.min(...this.waiters.map((w) => w.deadline));
        await new Promise((r) => setTimeout(r, Math.max(1, Math.min(this.pollMs, soonest - now))));
      }
    } finally {
      this.polling = false;
    }
  }
}
