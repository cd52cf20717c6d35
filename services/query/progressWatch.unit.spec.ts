import { describe, expect, it } from 'vitest';
import { ProgressWatch, type Progress } from './progressWatch.js';

describe('ProgressWatch: one progress read per poll for every waiting request', () => {
  it('resolves each waiter when its partition reaches its target, with one read per poll for all', async () => {
    let next = 0n;
    let reads = 0;
    const seen: Progress[] = [];
    const watch = new ProgressWatch(
      async () => {
        reads++;
        return new Map([
          [0, next],
          [1, 0n],
        ]);
      },
      (p) => seen.push(p),
      5,
    );
    const waits = Array.from({ length: 50 }, (_, i) => watch.reach(0, BigInt(1 + (i % 3)), 5_000));
    setTimeout(() => (next = 3n), 30);
    expect(await Promise.all(waits)).toEqual(waits.map(() => true));
    // 50 waiters for ~30 ms at a 5 ms poll: a read per poll, not per waiter.
    expect(reads).toBeLessThan(30);
    expect(seen.length).toBe(reads);
  });

  it('answers false at the deadline while the partition stays behind', async () => {
    const watch = new ProgressWatch(
      async () => new Map([[0, 1n]]),
      () => {},
      5,
    );
    expect(await watch.reach(0, 2n, 40)).toBe(false);
    expect(await watch.reach(0, 1n, 40)).toBe(true);
  });

  it('hands a failed read to every waiter, then polls again for new ones', async () => {
    let fail = true;
    const watch = new ProgressWatch(
      async () => {
        if (fail) throw new Error('store down');
        return new Map([[0, 5n]]);
      },
      () => {},
      5,
    );
    const a = watch.reach(0, 1n, 1_000);
    const b = watch.reach(0, 1n, 1_000);
    await expect(a).rejects.toThrow('store down');
    await expect(b).rejects.toThrow('store down');
    fail = false;
    expect(await watch.reach(0, 5n, 1_000)).toBe(true);
  });
});
