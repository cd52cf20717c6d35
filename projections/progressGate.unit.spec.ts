// progressGate: one progress read per poll for every waiter (the worker's activities, the query's freshness).
import { describe, expect, it } from 'vitest';
import { progressGate } from './progressGate.js';

describe('progressGate: one shared progress read per poll for every waiter', () => {
  it('resolves each waiter when its partition reaches its offset, with one read per poll for all', async () => {
    let next = 0;
    let reads = 0;
    const gate = progressGate(
      {
        progress: async () => {
          reads++;
          return new Map([
            [0, String(next)],
            [1, '0'],
          ]);
        },
      },
      5,
    );
    const waits = Array.from({ length: 50 }, (_, i) => gate.waitForOffset(0, String(i % 3), 5_000));
    setTimeout(() => (next = 3), 30);
    expect(await Promise.all(waits)).toEqual(waits.map(() => true));
    // 50 waiters for ~30 ms at a 5 ms poll: a read per poll, not per waiter.
    expect(reads).toBeLessThan(30);
  });

  it('answers false at the deadline while the partition stays behind', async () => {
    const gate = progressGate({ progress: async () => new Map([[0, '1']]) }, 5);
    expect(await gate.waitForOffset(0, '1', 40)).toBe(false);
    expect(await gate.waitForOffset(0, '0', 40)).toBe(true);
  });

  it('hands a failed read to every waiter, then reads again for new ones', async () => {
    let fail = true;
    const gate = progressGate(
      {
        progress: async () => {
          if (fail) throw new Error('store down');
          return new Map([[0, '5']]);
        },
      },
      5,
    );
    const a = gate.waitForOffset(0, '0', 1_000);
    const b = gate.waitForOffset(0, '0', 1_000);
    await expect(a).rejects.toThrow('store down');
    await expect(b).rejects.toThrow('store down');
    fail = false;
    expect(await gate.waitForOffset(0, '4', 1_000)).toBe(true);
  });
});
