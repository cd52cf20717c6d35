// Which ledger keys (subjects, data users) were written recently, per partition, so that a cached
// state can be reused after its partition moved on, as long as nothing was written for its own key.
//
// Why: the state cache (markedCache.ts) was valid only at the exact high-water mark it was read at.
// Under a mixed load every new event on a partition (one in twelve of all events) sent the next
// decision of every subject on it back to the store: FerretDB ran at 85–93 % CPU in the 90/10 bench.
//
// What it knows: for each partition, a contiguous run of offsets [start, next) it has seen every
// record of (fed by the ledger's key tail, ledgerKeyTail.ts), and for each key in that run the offset
// of its last record there. The run is bounded: the oldest records are forgotten first and `start`
// moves past them. A gap (records it did not see) starts the run again after the gap.
// Anything outside the run is "unknown", which callers must treat as "changed".

interface PartitionRun {
  start: number;
  next: number;
  /** key → offset of its last record within the run. */
  last: Map<string, number>;
  /** The run's records oldest first (from `head`), to forget them in order. */
  offsets: number[];
  keys: string[];
  head: number;
}

export class RecentLedgerKeys {
  private readonly runs = new Map<number, PartitionRun>();

  /** @param maxPerPartition records remembered per partition before the oldest are forgotten */
  constructor(private readonly maxPerPartition: number) {}

  /**
   * Records seen on `partition`: `keys[i]` at `offsets[i]` (ascending), and everything below
   * `nextOffset` seen (the offsets in between, if any, held no keyed record).
   */
  observe(
    partition: number,
    firstOffset: number,
    records: readonly { offset: number; key: string }[],
    nextOffset: number,
  ): void {
    let run = this.runs.get(partition);
    if (run?.next !== firstOffset) {
      // First batch, or records were missed (a restarted consumer): start again at this batch.
      run = { start: firstOffset, next: firstOffset, last: new Map(), offsets: [], keys: [], head: 0 };
      this.runs.set(partition, run);
    }
    for (const r of records) {
      run.last.set(r.key, r.offset);
      run.offsets.push(r.offset);
      run.keys.push(r.key);
    }
    run.next = nextOffset;
    this.forgetOldest(run);
  }

  /**
   * True only if it is known that no record for `key` was written on `partition` at an offset in
   * [from, to): the run covers [from, to) and the key's last record in it (if any) is below `from`.
   */
  unchangedBetween(key: string, partition: number, from: number, to: number): boolean {
    const run = this.runs.get(partition);
    if (!run || run.start > from || run.next < to) return false;
    const last = run.last.get(key);
    return last === undefined || last < from;
  }

  /**
   * Every key with a record on `partition` at an offset of `from` or later (a superset of those
   * written in [from, to)), or undefined when the run does not cover [from, to).
   */
  keysFrom(partition: number, from: number, to: number): string[] | undefined {
    const run = this.runs.get(partition);
    if (!run || run.start > from || run.next < to) return undefined;
    const keys: string[] = [];
    for (const [key, last] of run.last) if (last >= from) keys.push(key);
    return keys;
  }

  private forgetOldest(run: PartitionRun): void {
    const excess = run.offsets.length - run.head - this.maxPerPartition;
    if (excess <= 0) return;
    for (let i = run.head; i < run.head + excess; i++) {
      const key = run.keys[i]!;
      if (run.last.get(key) === run.offsets[i]) run.last.delete(key);
    }
    run.head += excess;
    run.start = run.offsets[run.head - 1]! + 1;
    // Compact now and then rather than shifting the arrays on every batch.
    if (run.head > this.maxPerPartition) {
      run.offsets = run.offsets.slice(run.head);
      run.keys = run.keys.slice(run.head);
      run.head = 0;
    }
  }
}
