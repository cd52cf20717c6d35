import { describe, expect, it } from 'vitest';
import { ProjectionSnapshots, type DecisionFacts, type Snapshot } from './projectionSnapshot.js';
import { RecentLedgerKeys } from './recentLedgerKeys.js';

/** A projection store in memory, counting whole passes and single reads. */
function scriptedStore(initial: Record<string, string>) {
  const store = new Map(Object.entries(initial));
  const counts = { passes: 0, reads: 0 };
  const reader = {
    async *allSubjectTexts() {
      counts.passes++;
      for (const [subject, json] of store) yield { subject, json };
    },
    subjectTexts: async (ids: readonly string[]) => {
      counts.reads += ids.length;
      return new Map(ids.flatMap((id) => (store.has(id) ? [[id, store.get(id)!] as const] : [])));
    },
  };
  return { store, counts, reader };
}
const state = (subject: string, n: number) =>
  JSON.stringify({ subject, facts: [{ n }], records: [{ big: 'timeline' }] });
const n = (s: Snapshot, id: string) => (s.get(id)?.facts[0] as unknown as { n: number } | undefined)?.n;

describe('ProjectionSnapshots: one pass, then only what the ledger wrote since', () => {
  it('reads again only the keys written since its marks', async () => {
    const { store, counts, reader } = scriptedStore({ a: state('a', 1), b: state('b', 1) });
    const keys = new RecentLedgerKeys(100);
    keys.observe(0, 0, [], 5);
    const snapshots = new ProjectionSnapshots(reader, 10, keys);
    const first = (await snapshots.all(new Map([[0, '5']])))!;
    expect(n(first, 'a')).toBe(1);
    expect(first.get('a')).toEqual({ facts: [{ n: 1 }] }); // the facts alone: what a decision reads
    store.set('a', state('a', 2));
    store.set('c', state('c', 1));
    keys.observe(
      0,
      5,
      [
        { offset: 5, key: 'a' },
        { offset: 6, key: 'c' },
      ],
      7,
    );
    const later = (await snapshots.all(new Map([[0, '7']])))!;
    expect([n(later, 'a'), n(later, 'b'), n(later, 'c')]).toEqual([2, 1, 1]);
    expect(counts).toEqual({ passes: 1, reads: 2 });
    // Same marks: nothing read at all.
    await snapshots.all(new Map([[0, '7']]));
    expect(counts).toEqual({ passes: 1, reads: 2 });
  });
  it('passes over the whole projection again when the recent keys do not reach back to its marks', async () => {
    const { store, counts, reader } = scriptedStore({ a: state('a', 1) });
    const keys = new RecentLedgerKeys(100);
    const snapshots = new ProjectionSnapshots(reader, 10, keys);
    await snapshots.all(new Map([[0, '5']]));
    store.set('a', state('a', 2));
    keys.observe(0, 6, [{ offset: 6, key: 'x' }], 7); // offset 5 was never seen
    expect(n((await snapshots.all(new Map([[0, '7']])))!, 'a')).toBe(2);
    expect(counts.passes).toBe(2);
  });
  it('gives up above maxStates (the filter then reads in batches)', async () => {
    const { reader } = scriptedStore({ a: state('a', 1), b: state('b', 1), c: state('c', 1) });
    expect(await new ProjectionSnapshots(reader, 2).all(new Map([[0, '1']]))).toBeUndefined();
  });
  it('keeps each subject’s answer for the same ask until its time runs out or its facts change', async () => {
    const { store, reader } = scriptedStore({ a: state('a', 1), b: state('b', 1) });
    const keys = new RecentLedgerKeys(100);
    keys.observe(0, 0, [], 5);
    const snapshots = new ProjectionSnapshots(reader, 10, keys);
    let decided = 0;
    // The decision is the facts' n, valid for 100 ms from the ask.
    const decide = (atMs: number) => (f: DecisionFacts) => {
      decided++;
      const v = (f.facts[0] as unknown as { n: number }).n;
      return { decision: 'permit' as const, tail: `n=${v}`, untilMs: atMs + 100 };
    };
    const ask = (s: Snapshot, id: string, key: string, atMs: number) => s.answer(id, key, atMs, decide(atMs))?.tail;
    const first = (await snapshots.all(new Map([[0, '5']])))!;
    expect(ask(first, 'a', 'research', 1000)).toBe('n=1');
    expect(ask(first, 'x', 'research', 1000)).toBeUndefined(); // no state: nothing decided
    expect(decided).toBe(1);
    expect(ask(first, 'a', 'research', 1099)).toBe('n=1'); // kept
    expect(decided).toBe(1);
    expect(ask(first, 'a', 'research', 1100)).toBe('n=1'); // its time ran out: decided again
    expect(ask(first, 'a', 'ai-training', 1100)).toBe('n=1'); // another ask: decided again
    expect(ask(first, 'a', 'ai-training', 1050)).toBe('n=1'); // before the kept one's time: decided again
    expect(decided).toBe(4);
    store.set('a', state('a', 2));
    keys.observe(0, 5, [{ offset: 5, key: 'a' }], 6);
    const later = (await snapshots.all(new Map([[0, '6']])))!;
    expect(ask(later, 'a', 'ai-training', 1060)).toBe('n=2'); // the facts changed: decided on the new ones
    expect(ask(later, 'b', 'research', 1060)).toBe('n=1');
    expect(decided).toBe(6);
  });
});
