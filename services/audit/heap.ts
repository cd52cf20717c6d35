// Bounded memory for an audit run. V8 sizes its heap from the machine's memory (GBs here) and, with
// kafkajs allocating a Buffer per fetched record, lets garbage pile up to several hundred MB before
// collecting. An audit's live data is small (one partition's leg, one checkpoint's leaves), so a
// capped old space and small young generation keep the peak RSS low at no measurable cost in speed.
import { spawnSync } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';

export const AUDIT_HEAP_FLAGS = (mb = Number(process.env.AUDIT_HEAP_MB ?? 192)) => [
  `--max-old-space-size=${mb}`,
  '--max-semi-space-size=4',
];

/** Re-run this process with the heap flags unless it already runs under a cap; returns only in the capped process. */
export function ensureBoundedHeap(): void {
  const limitMb = getHeapStatistics().heap_size_limit / 2 ** 20;
  if (limitMb <= 1024 || process.env.AUDIT_HEAP_BOUNDED === '1') return;
  const r = spawnSync(process.execPath, [...process.execArgv, ...AUDIT_HEAP_FLAGS(), ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, AUDIT_HEAP_BOUNDED: '1' },
  });
  process.exit(r.status ?? 1);
}
