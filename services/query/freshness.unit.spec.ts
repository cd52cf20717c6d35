import { describe, expect, it } from 'vitest';
import type { Admin } from '../../adapters/kafka.js';
import { LedgerFreshness, SharedRoundTrip } from './freshness.js';
import { RecentLedgerKeys } from './recentLedgerKeys.js';

describe('SharedRoundTrip: a caller only ever gets a round trip that started after it asked', () => {
  it('joins waiting callers into one call, never into one already in flight', async () => {
    let calls = 0;
    const releases: (() => void)[] = [];
    const rt = new SharedRoundTrip(() => {
      const n = ++calls;
      return new Promise<number>((r) => releases.push(() => r(n)));
    }, 1);
    const a = rt.get(); // starts call 1
    const b = rt.get();
    const c = rt.get(); // arrive while call 1 is in flight: wait for call 2
    releases[0]!();
    expect(await a).toBe(1);
    await new Promise((r) => setTimeout(r, 0));
    expect(calls).toBe(2);
    releases[1]!();
    expect([await b, await c]).toEqual([2, 2]);
  });
  it('starts further calls at once while under the in-flight limit; errors reach every caller of that call', async () => {
    let calls = 0;
    const rt = new SharedRoundTrip(async () => {
      calls++;
      if (calls === 2) throw new Error('down');
      return calls;
    }, 4);
    const a = rt.get();
    const b = rt.get();
    expect(calls).toBe(2);
    expect(await a).toBe(1);
    await expect(b).rejects.toThrow('down');
  });
});

describe('LedgerFreshness: waits for the projector only where an asked key has records it has not applied', () => {
  const scripted = () => {
    const waits: number[] = [];
    const admin = { fetchTopicOffsets: async () => [{ partition: 0, offset: '11', high: '11', low: '0' }] };
    const reader = {
      progress: async () => new Map([[0, '10']]),
      waitForOffset: async (p: number) => {
        waits.push(p);
        return true;
      },
    };
    const freshnessWith = (recentKeys: RecentLedgerKeys) =>
      new LedgerFreshness({
        admin: admin as unknown as Admin,
        topic: 't',
        partitions: 1,
        reader,
        boundMs: 100,
        recentKeys,
      });
    return { waits, freshnessWith };
  };
  it('answers at once when the unapplied record is another key’s, and waits when it is the asked one’s', async () => {
    const { waits, freshnessWith } = scripted();
    const recentKeys = new RecentLedgerKeys(100);
    recentKeys.observe(0, 5, [{ offset: 10, key: 'other' }], 11);
    const freshness = freshnessWith(recentKeys);
    expect(await freshness.awaitKeys(['mine'])).toEqual(new Map([[0, '11']]));
    expect(waits).toEqual([]);
    await freshness.awaitKeys(['other']);
    expect(waits).toEqual([0]);
  });
  it('waits when the recent keys do not cover the records in between', async () => {
    const { waits, freshnessWith } = scripted();
    const recentKeys = new RecentLedgerKeys(100);
    recentKeys.observe(0, 10, [], 10); // the tail has not read offset 10 yet
    const freshness = freshnessWith(recentKeys);
    await freshness.awaitKeys(['mine']);
    expect(waits).toEqual([0]);
  });
});
