// "Has the projection applied ledger position (p, o)?" for many concurrent waiters at once: one
// shared poll of the projection's progress instead of one poll per waiter (reader.waitForOffset).
// Thousands of cooling-off timers expire together (a consent batch) in the worker, and 64 decisions
// wait for freshness at once in the query service: polling per waiter every 25 ms swamped the store
// the projector writes to (in the query service's CPU profile under the mixed bench load, mongodb +
// bson were 21 %). A progress read is cached for `pollMs`: progress only grows, so an older read can
// only make a waiter wait longer, never answer early.
import type { ProjectionReader } from './reader.js';

export function progressGate(
  reader: Pick<ProjectionReader, 'progress'>,
  pollMs = 100,
): Pick<ProjectionReader, 'waitForOffset'> {
  let cache: { at: number; progress: Map<number, string> } | undefined;
  let inFlight: Promise<Map<number, string>> | undefined;
  const current = (): Promise<Map<number, string>> => {
    if (cache && Date.now() - cache.at < pollMs) return Promise.resolve(cache.progress);
    inFlight ??= reader
      .progress()
      .then((progress) => {
        cache = { at: Date.now(), progress };
        return progress;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  return {
    async waitForOffset(partition, offset, timeoutMs) {
      const target = BigInt(offset);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const next = (await current()).get(partition);
        if (next !== undefined && BigInt(next) > target) return true;
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, deadline - Date.now()))));
      }
    },
  };
}
