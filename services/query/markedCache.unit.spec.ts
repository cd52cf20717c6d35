import { describe, expect, it } from 'vitest';
import { MarkedCache } from './markedCache.js';

describe('MarkedCache: reuse only at the same ledger high-water mark', () => {
  it('hits at the same mark, misses once the partition moved on', async () => {
    const c = new MarkedCache<string | undefined>(10);
    let loads = 0;
    const load = (v: string | undefined) => async () => {
      loads++;
      return v;
    };
    expect(await c.through('s', '5', load('a'))).toBe('a');
    expect(await c.through('s', '5', load('b'))).toBe('a');
    expect(await c.through('s', '6', load('b'))).toBe('b');
    expect(loads).toBe(2);
    // "no state" is a value too
    expect(await c.through('t', '6', load(undefined))).toBeUndefined();
    expect(await c.through('t', '6', load('x'))).toBeUndefined();
    expect(loads).toBe(3);
  });
  it('is bounded: the oldest entry goes first', () => {
    const c = new MarkedCache<number>(2);
    c.set('a', '1', 1);
    c.set('b', '1', 2);
    c.set('c', '1', 3);
    expect(c.get('a', '1').hit).toBe(false);
    expect(c.get('c', '1')).toEqual({ hit: true, value: 3 });
  });
});
