// Rebuild every subject's state from the ledger with the shared fold (contracts evolve), with memory
// bounded by a constant rather than by the ledger's size:
// - a subject lives on one partition (the record key), so partitions are folded one at a time and
//   their states handed to `onSubjects` and dropped before the next;
// - a partition holding more than `maxEventsInMemory` records is folded in K passes, each keeping only
//   the subjects whose key hashes to that pass (K = ceil(records / maxEventsInMemory)): the partition
//   is re-read K times, trading time for a memory bound that holds whatever the ledger's size.
// Poison records (not valid events) are counted and skipped, as every ledger reader does.
import { partitionForKey } from '../../adapters/kafka.js';
import type { Kafka } from '../../adapters/kafka.js';
import { parseEvent } from '../../contracts/consent/validate.js';
import type { LedgerEvent } from '../../contracts/consent/events.js';
import { EMPTY_STATE, evolve, isSubjectEvent, type SubjectState } from '../../contracts/consent/fold.js';
import { partitionRanges, scanLegs, type Leg, type PartitionRange, type ScanOptions } from '../../ledger/scan.js';

export interface FoldedRecord {
  event: LedgerEvent;
  partition: number;
  offset: string;
}

export interface FoldPassOptions extends ScanOptions {
  ledgerTopic: string;
  maxEventsInMemory?: number;
  /** Only this partition (e.g. the one a single subject lives on). */
  partition?: number;
  /** Only records with this key (a single subject): the others are not even parsed. */
  key?: string;
  /** Every valid event once (first pass only), in ledger order per partition. */
  onEvent?(r: FoldedRecord): void;
  onPoison?(partition: number, offset: string): void;
  /** One partition's (or one pass's) subjects, after its last record; `high` = the snapshot end. */
  onSubjects(states: SubjectState[], partition: number, high: bigint): Promise<void> | void;
  onTotal?(records: number): void;
}

export interface FoldPassSummary {
  partitions: { partition: number; low: string; high: string; passes: number }[];
  records: number;
  poison: number;
}

/** FNV-1a over the key's UTF-16 units: a cheap, stable bucket for a subject. */
function bucketOf(key: string, buckets: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % buckets;
}

export async function foldLedger(kafka: Kafka, o: FoldPassOptions): Promise<FoldPassSummary> {
  const max = o.maxEventsInMemory ?? 200_000;
  let ranges = await partitionRanges(kafka, o.ledgerTopic);
  if (o.key !== undefined) ranges = ranges.filter((r) => r.partition === partitionForKey(o.key!, ranges.length));
  if (o.partition !== undefined) ranges = ranges.filter((r) => r.partition === o.partition);
  const summary: FoldPassSummary = { partitions: [], records: 0, poison: 0 };
  const legs: Leg[] = [];
  let total = 0;
  for (const r of ranges) {
    const count = Number(r.high - r.low);
    const passes = Math.max(1, Math.ceil(count / max));
    summary.partitions.push({ partition: r.partition, low: r.low.toString(), high: r.high.toString(), passes });
    for (let pass = 0; pass < passes; pass++) {
      total += count;
      legs.push(foldLeg(r, { pass, passes }, o, summary));
    }
  }
  o.onTotal?.(total);
  await scanLegs(kafka, o.ledgerTopic, legs, o);
  return summary;
}

/**
 * One pass over a partition, folding the subjects of its bucket (all of them when there is one pass).
 * Pass 0 also counts every record and poison once and hands every event to onEvent.
 */
function foldLeg(
  r: PartitionRange,
  { pass, passes }: { pass: number; passes: number },
  o: FoldPassOptions,
  summary: FoldPassSummary,
): Leg {
  let states = new Map<string, SubjectState>();
  return {
    partition: r.partition,
    from: r.low,
    to: r.high,
    onRecords: (records) => {
      for (const rec of records) {
        const key = rec.key?.toString('utf8') ?? '';
        if (o.key !== undefined && key !== o.key) continue;
        const mine = passes === 1 || bucketOf(key, passes) === pass;
        if (!mine && pass > 0) continue;
        const event = ledgerEventOf(rec.value);
        if (!event) {
          if (pass === 0) {
            summary.poison++;
            o.onPoison?.(rec.partition, rec.offset);
          }
          continue;
        }
        if (pass === 0) {
          summary.records++;
          o.onEvent?.({ event, partition: rec.partition, offset: rec.offset });
        }
        if (!mine || !isSubjectEvent(event)) continue;
        const at = { partition: rec.partition, offset: rec.offset };
        states.set(event.subject, evolve(states.get(event.subject) ?? EMPTY_STATE, event, at));
      }
    },
    done: async () => {
      const list = [...states.values()];
      states = new Map();
      await o.onSubjects(list, r.partition, r.high);
    },
  };
}

/** The record's ledger event, or undefined for poison (not JSON, or not a valid event). */
function ledgerEventOf(value: Buffer | null) {
  let json: unknown;
  try {
    json = JSON.parse(value?.toString('utf8') ?? '');
  } catch {
    return undefined;
  }
  const parsed = parseEvent(json);
  return parsed.ok ? parsed.event : undefined;
}
