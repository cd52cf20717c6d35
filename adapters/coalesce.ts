// Concurrent callers share one round trip: calls queue while a flush is in flight, and the next flush
// takes everything queued (up to maxBatch). Used where each request would otherwise make its own
// small write (receipt claims and completions on a single-writer SQLite-backed FerretDB).
export class Coalescer<In, Out> {
  private queue: { item: In; resolve(o: Out): void; reject(e: unknown): void }[] = [];
  private flushing = false;

  constructor(
    private readonly flushFn: (items: In[]) => Promise<Out[]>,
    private readonly maxBatch = 1000,
  ) {}

  /** Submit items; resolves with their results, in order. */
  submit(items: readonly In[]): Promise<Out[]> {
    const promises = items.map(
      (item) => new Promise<Out>((resolve, reject) => this.queue.push({ item, resolve, reject })),
    );
    if (!this.flushing) void this.flush();
    return Promise.all(promises);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const out = await this.flushFn(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(out[i]!));
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
