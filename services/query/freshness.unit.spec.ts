import { describe, expect, it } from 'vitest';
import { SharedRoundTrip } from './freshness.js';

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
