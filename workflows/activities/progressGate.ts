// "Has the projection applied ledger position (p, o)?" for many concurrent activities at once: one
// shared poll of the projection's progress instead of one poll per waiting activity. Thousands of
// cooling-off timers expire together (a consent batch), and per-activity polling every 25 ms would
// swamp the projection store with identical reads.
import type { ProjectionReader } from '../../projections/reader.js';

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
