// A read-through cache of projected values (subject states, data-user records) that is exactly as
// fresh as the projection itself, never staler.
//
// A subject's state depends only on the ledger records of its own partition. An entry remembers the
// partition's high-water mark (HW) that the freshness check had confirmed as projected before the
// value was read. A later request whose freshly read HW for that partition is the SAME can reuse the
// value: nothing was appended to the partition in between (the HW only grows), so the projection of
// that partition — and the value — is unchanged. Any new record on the partition changes the HW and
// the next request reads the store again. Bounded: the oldest entries are dropped beyond `max`.
export class MarkedCache<V> {
  private readonly entries = new Map<string, { mark: string; value: V }>();

  constructor(private readonly max: number) {}

  /** The cached value if it was read at exactly this high-water mark; `miss` otherwise. */
  get(key: string, mark: string): { hit: true; value: V } | { hit: false } {
    const e = this.entries.get(key);
    if (e?.mark !== mark) return { hit: false };
    return { hit: true, value: e.value };
  }

  set(key: string, mark: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { mark, value });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Read through: `load` runs only on a miss. */
  async through(key: string, mark: string, load: () => Promise<V>): Promise<V> {
    const c = this.get(key, mark);
    if (c.hit) return c.value;
    const value = await load();
    this.set(key, mark, value);
    return value;
  }
}
