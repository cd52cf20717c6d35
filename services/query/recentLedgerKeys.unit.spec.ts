import { describe, expect, it } from 'vitest';
import { RecentLedgerKeys } from './recentLedgerKeys.js';
import { MarkedCache } from './markedCache.js';

const records = (first: number, keys: string[]) => keys.map((key, i) => ({ offset: first + i, key }));

describe('RecentLedgerKeys: what is known of a key between two offsets', () => {
  it('knows a key unchanged only within the run it has seen whole', () => {
    const k = new RecentLedgerKeys(100);
    k.observe(3, 10, records(10, ['a', 'b', 'a']), 13);
    expect(k.unchangedBetween('c', 3, 10, 13)).toBe(true); // never written in the run
    expect(k.unchangedBetween('b', 3, 12, 13)).toBe(true); // b's last record is at 11
    expect(k.unchangedBetween('b', 3, 11, 13)).toBe(false);
    expect(k.unchangedBetween('a', 3, 12, 13)).toBe(false);
    expect(k.unchangedBetween('c', 3, 9, 13)).toBe(false); // before the run: unknown
    expect(k.unchangedBetween('c', 3, 10, 14)).toBe(false); // past what the tail has read
    expect(k.unchangedBetween('c', 4, 10, 13)).toBe(false); // another partition: nothing known
  });
  it('starts again after a gap, forgetting what came before it', () => {
    const k = new RecentLedgerKeys(100);
    k.observe(0, 0, records(0, ['a']), 1);
    k.observe(0, 5, records(5, ['b']), 6); // 1..4 were not seen
    expect(k.unchangedBetween('a', 0, 1, 6)).toBe(false);
    expect(k.unchangedBetween('a', 0, 5, 6)).toBe(true);
  });
  it('forgets the oldest records beyond its bound, and what they said', () => {
    const k = new RecentLedgerKeys(2);
    k.observe(0, 0, records(0, ['a', 'b']), 2);
    k.observe(0, 2, records(2, ['c', 'd']), 4);
    expect(k.unchangedBetween('x', 0, 1, 4)).toBe(false); // offset 1 is forgotten
    expect(k.unchangedBetween('x', 0, 2, 4)).toBe(true);
    expect(k.unchangedBetween('c', 0, 2, 4)).toBe(false);
    for (let i = 4; i < 20; i++) k.observe(0, i, records(i, [`k${i}`]), i + 1);
    expect(k.unchangedBetween('k18', 0, 19, 20)).toBe(true);
    expect(k.unchangedBetween('k19', 0, 18, 20)).toBe(false);
    expect(k.unchangedBetween('k17', 0, 18, 20)).toBe(true);
  });
});

describe('MarkedCache with recent keys: reuse across records of other keys only', () => {
  it('reuses an entry at a later mark when its key is unchanged, and reads again when it changed', async () => {
    const keys = new RecentLedgerKeys(100);
    keys.observe(0, 10, records(10, ['other']), 11);
    const c = new MarkedCache<string>(10);
    let loads = 0;
    const load = (v: string) => async () => {
      loads++;
      return v;
    };
    const unchanged = (key: string, mark: string) => (since: string) =>
      keys.unchangedBetween(key, 0, Number(since), Number(mark));
    expect(await c.through('s', '10', load('v1'), unchanged('s', '10'))).toBe('v1');
    expect(await c.through('s', '11', load('v2'), unchanged('s', '11'))).toBe('v1'); // only 'other' was written
    keys.observe(0, 11, records(11, ['s']), 12);
    expect(await c.through('s', '12', load('v3'), unchanged('s', '12'))).toBe('v3');
    // the tail has not read up to 13 yet: unknown, so a store read
    expect(await c.through('s', '13', load('v4'), unchanged('s', '13'))).toBe('v4');
    expect(loads).toBe(3);
  });
});

describe('RecentLedgerKeys.keysFrom: what a snapshot at an earlier mark must read again', () => {
  it('lists the keys written from an offset on, or nothing known', () => {
    const k = new RecentLedgerKeys(100);
    k.observe(1, 0, records(0, ['a', 'b', 'c', 'a']), 4);
    expect(k.keysFrom(1, 2, 4)?.sort()).toEqual(['a', 'c']);
    expect(k.keysFrom(1, 4, 4)).toEqual([]);
    expect(k.keysFrom(1, 0, 5)).toBeUndefined(); // the tail has not read offset 4
    expect(k.keysFrom(2, 0, 0)).toBeUndefined();
  });
});
