// audit verify: stream the ledger partition by partition, recompute every checkpoint, check each
// signature against the key the AUDITOR trusts (never the one a checkpoint names) and the chain of
// checkpoints, and report the first bad offset of each partition.
import type { KeyObject } from 'node:crypto';
import type { Kafka } from '../../adapters/kafka.js';
import { headerText } from '../../adapters/kafka.js';
import { CE_HEADERS } from '../../contracts/topics.js';
import { CheckpointSchema, checkpointHash, type Checkpoint } from '../../contracts/checkpoint.js';
import { partitionRanges, scanLegs, type ScanOptions } from './ledgerScan.js';
import { PartitionVerifier, type PartitionResult, type VerifyProblem } from './partitionVerifier.js';

export interface VerifyReport {
  ok: boolean;
  ledgerTopic: string;
  checkpointsTopic: string;
  /** The topic name the checkpoints must name (the sealed ledger; differs from ledgerTopic for a copy). */
  sealedTopic: string;
  totals: {
    records: number;
    checkpoints: number;
    sealedRecords: number;
    unsealed: number;
    duplicates: number;
    duplicateCheckpoints: number;
  };
  partitions: PartitionResult[];
  problems: VerifyProblem[];
}

export interface VerifyOptions extends ScanOptions {
  ledgerTopic: string;
  checkpointsTopic: string;
  sealedTopic?: string;
  trustedKey: KeyObject;
  /** Total records about to be scanned (for a progress bar). */
  onTotal?(records: number): void;
}

export interface CheckpointLog {
  byPartition: Map<number, Checkpoint[]>;
  /** Exact repeats of a checkpoint already read (a producer retry); ignored. */
  duplicates: number;
  problems: VerifyProblem[];
}

/** Every checkpoint on the checkpoints topic, per ledger partition, in the order written. */
export async function readCheckpoints(kafka: Kafka, topic: string, sealedTopic: string): Promise<CheckpointLog> {
  const log: CheckpointLog = { byPartition: new Map(), duplicates: 0, problems: [] };
  const seen = new Set<string>();
  const ranges = await partitionRanges(kafka, topic);
  await scanLegs(
    kafka,
    topic,
    ranges.map((r) => ({
      partition: r.partition,
      from: r.low,
      to: r.high,
      onRecords: (records) => {
        for (const r of records) {
          let parsed: unknown;
          try {
            parsed = JSON.parse(r.value?.toString('utf8') ?? '');
          } catch {
            parsed = undefined;
          }
          const c = CheckpointSchema.safeParse(parsed);
          if (!c.success) {
            const partition = Number(r.key?.toString() ?? -1);
            log.problems.push({
              partition,
              offset: '0',
              kind: 'forged-checkpoint',
              detail: `checkpoints topic offset ${r.offset} is not a valid checkpoint`,
            });
            continue;
          }
          if (c.data.topic !== sealedTopic) continue;
          const h = checkpointHash(c.data);
          if (seen.has(h)) {
            log.duplicates++;
            continue;
          }
          seen.add(h);
          const list = log.byPartition.get(c.data.partition) ?? [];
          list.push(c.data);
          log.byPartition.set(c.data.partition, list);
        }
      },
    })),
  );
  return log;
}

function eventIdOf(value: Buffer | null, headers: Parameters<typeof headerText>[0]): string | undefined {
  const fromHeader = headerText(headers, CE_HEADERS.id);
  if (fromHeader !== undefined) return fromHeader;
  try {
    return (JSON.parse(value?.toString('utf8') ?? '') as { id?: string }).id;
  } catch {
    return undefined;
  }
}

export async function verifyLedger(kafka: Kafka, o: VerifyOptions): Promise<VerifyReport> {
  const sealedTopic = o.sealedTopic ?? o.ledgerTopic;
  const checkpoints = await readCheckpoints(kafka, o.checkpointsTopic, sealedTopic);
  const ranges = await partitionRanges(kafka, o.ledgerTopic);
  o.onTotal?.(ranges.reduce((n, r) => n + Number(r.high - r.low), 0));
  const results: PartitionResult[] = [];
  const problems: VerifyProblem[] = [...checkpoints.problems];
  for (const p of checkpoints.byPartition.keys()) {
    if (!ranges.some((r) => r.partition === p))
      problems.push({
        partition: p,
        offset: '0',
        kind: 'deleted',
        detail: `checkpoints seal partition ${p}, which the ledger topic does not have`,
      });
  }
  await scanLegs(
    kafka,
    o.ledgerTopic,
    ranges.map((r) => {
      const verifier = new PartitionVerifier(r.partition, checkpoints.byPartition.get(r.partition) ?? [], o.trustedKey);
      return {
        partition: r.partition,
        from: r.low,
        to: r.high,
        onRecords: (records) => {
          for (const rec of records) verifier.add(rec.offset, rec.value, eventIdOf(rec.value, rec.headers));
        },
        done: () => {
          const result = verifier.end();
          results.push(result);
          if (result.problem) problems.push(result.problem);
        },
      };
    }),
    o,
  );
  results.sort((a, b) => a.partition - b.partition);
  const sum = (f: (r: PartitionResult) => number) => results.reduce((n, r) => n + f(r), 0);
  problems.sort((a, b) => a.partition - b.partition);
  return {
    ok: problems.length === 0,
    ledgerTopic: o.ledgerTopic,
    checkpointsTopic: o.checkpointsTopic,
    sealedTopic,
    totals: {
      records: sum((r) => r.records),
      checkpoints: sum((r) => r.checkpoints),
      sealedRecords: sum((r) => r.sealed),
      unsealed: sum((r) => r.unsealed),
      duplicates: sum((r) => r.duplicates),
      duplicateCheckpoints: checkpoints.duplicates,
    },
    partitions: results,
    problems,
  };
}
