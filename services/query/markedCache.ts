// A read-through cache of projected values (subject states, data-user records) that is exactly as
// fresh as the projection itself, never staler.
//
// A subject's state depends only on the ledger records of its own key, on its own partition. An entry
// remembers the partition's high-water mark (HW) that the freshness check had confirmed as projected
// before the value was read. A later request whose freshly read HW for that partition is the SAME can
// reuse the value: nothing was appended to the partition in between (the HW only grows), so the value
// is unchanged. A later HW reuses it too when the caller can tell that no record for this key was
// written between the two marks (`unchanged`, from recentLedgerKeys.ts); the entry then moves to the
// later mark. Otherwise the next request reads the store again. Bounded: the oldest entries are
// dropped beyond `max`.
export type UnchangedSince = (mark: string) => boolean;

/** How a read was answered: from the entry at the same mark, from one known unchanged since its mark, or from the store. */
export type CacheOutcome = 'same-mark' | 'unchanged' | 'miss';

export class MarkedCache<V> {
  private readonly entries = new Map<string, { mark: string; value: V }>();

  constructor(
    private readonly max: number,
    private readonly count: (outcome: CacheOutcome) => void = () => undefined,
  ) {}

  /** The cached value if it was read at this high-water mark, or at an earlier one it is known to be unchanged since. */
  get(key: string, mark: string, unchanged?: UnchangedSince): { hit: true; value: V } | { hit: false } {
    const e = this.entries.get(key);
    if (!e) return this.missed();
    if (e.mark === mark) this.count('same-mark');
    else if (unchanged?.(e.mark)) {
      e.mark = mark;
      this.count('unchanged');
    } else return this.missed();
    return { hit: true, value: e.value };
  }

  private missed(): { hit: false } {
    this.count('miss');
    return { hit: false };
  }

  set(key: string, mark: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { mark, value });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Read through: `load` runs only on a miss. */
  async through(key: string, mark: string, load: () => Promise<V>, unchanged?: UnchangedSince): Promise<V> {
    const c = this.get(key, mark, unchanged);
    if (c.hit) return c.value;
    const value = await load();
    this.set(key, mark, value);
    return value;
  }
}
