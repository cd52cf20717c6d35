// The cohort snapshot's subject → facts-text table: a Map that stays fast at a million lookups.
//
// Why not a Map: a cohort filter looks up every id of its cohort (1,000,000 fresh strings, sliced
// from the request body) among the subjects with state (~160,000 in issue 14's population). Measured
// on this project's bench machine, Map#get took 0.66–0.9 s for those lookups (about two thirds of
// the whole filter), a dictionary object 0.5–0.9 s, and this table 0.18–0.28 s. Most ids of a cohort
// have no state: here a miss is settled by a 32-bit hash in a typed array, without touching a string
// (a Map compares each key of the bucket's chain, one scattered heap object each).
//
// Open addressing with linear probing and backward-shift deletion (no tombstones, so a table that
// sees many updates does not slow down); it doubles when half full. Each entry can also keep a memo
// (a cohort's answer, projectionSnapshot.ts), dropped whenever its text is set again.

const EMPTY = -1;

/** FNV-1a over the UTF-16 code units: subject ids are short ASCII (SUBJECT_ID_PATTERN). */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class FactsTable<Memo = unknown> {
  private hashes: Uint32Array;
  /** Per slot, the index into keys/values of its entry, or EMPTY. */
  private slots: Int32Array;
  private keys: string[] = [];
  private values: string[] = [];
  private memos: (Memo | undefined)[] = [];
  /** Entry index → its slot (so a deleted entry's place in keys/values can be refilled by the last). */
  private slotOf: number[] = [];
  private mask: number;

  constructor(expected = 1024) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.hashes = new Uint32Array(capacity);
    this.slots = new Int32Array(capacity).fill(EMPTY);
  }

  get size(): number {
    return this.keys.length;
  }

  get(key: string): string | undefined {
    const slot = this.find(key, hashOf(key));
    return slot < 0 ? undefined : this.values[this.slots[slot]!];
  }

  /** The entry of `key`, or -1: an index for text/memo/remember, valid until the next set or delete. */
  entry(key: string): number {
    const slot = this.find(key, hashOf(key));
    return slot < 0 ? -1 : this.slots[slot]!;
  }

  text(entry: number): string {
    return this.values[entry]!;
  }

  memo(entry: number): Memo | undefined {
    return this.memos[entry];
  }

  remember(entry: number, memo: Memo): void {
    this.memos[entry] = memo;
  }

  set(key: string, value: string): void {
    const hash = hashOf(key);
    const slot = this.find(key, hash);
    if (slot >= 0) {
      this.values[this.slots[slot]!] = value;
      this.memos[this.slots[slot]!] = undefined;
      return;
    }
    if ((this.keys.length + 1) * 2 > this.slots.length) this.grow();
    this.keys.push(key);
    this.values.push(value);
    this.memos.push(undefined);
    this.slotOf.push(this.place(hash, this.keys.length - 1));
  }

  delete(key: string): boolean {
    let slot = this.find(key, hashOf(key));
    if (slot < 0) return false;
    this.removeEntry(this.slots[slot]!);
    // Backward shift: pull later entries of the probe run into the hole if their home allows it.
    let next = (slot + 1) & this.mask;
    while (this.slots[next] !== EMPTY) {
      const home = this.hashes[next]! & this.mask;
      // The entry at `next` may move to `slot` unless its home lies cyclically in (slot, next].
      if (((next - home) & this.mask) >= ((next - slot) & this.mask)) {
        this.move(next, slot);
        slot = next;
      }
      next = (next + 1) & this.mask;
    }
    this.slots[slot] = EMPTY;
    return true;
  }

  /** The slot holding `key`, or -1. */
  private find(key: string, hash: number): number {
    let slot = hash & this.mask;
    for (let entry = this.slots[slot]!; entry !== EMPTY; entry = this.slots[slot]!) {
      if (this.hashes[slot] === hash && this.keys[entry] === key) return slot;
      slot = (slot + 1) & this.mask;
    }
    return -1;
  }

  /** Put entry `entry` (of hash `hash`) in the first free slot of its probe run; returns the slot. */
  private place(hash: number, entry: number): number {
    let slot = hash & this.mask;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.slots[slot] = entry;
    this.hashes[slot] = hash;
    return slot;
  }

  private move(from: number, to: number): void {
    const entry = this.slots[from]!;
    this.slots[to] = entry;
    this.hashes[to] = this.hashes[from]!;
    this.slotOf[entry] = to;
  }

  /** Drop entry `entry` from keys/values, moving the last entry into its place. */
  private removeEntry(entry: number): void {
    const last = this.keys.length - 1;
    if (entry !== last) {
      this.keys[entry] = this.keys[last]!;
      this.values[entry] = this.values[last]!;
      this.memos[entry] = this.memos[last];
      this.slotOf[entry] = this.slotOf[last]!;
      this.slots[this.slotOf[entry]] = entry;
    }
    this.keys.pop();
    this.values.pop();
    this.memos.pop();
    this.slotOf.pop();
  }

  private grow(): void {
    const capacity = this.slots.length * 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity).fill(EMPTY);
    this.hashes = new Uint32Array(capacity);
    for (let entry = 0; entry < this.keys.length; entry++)
      this.slotOf[entry] = this.place(hashOf(this.keys[entry]!), entry);
  }
}
