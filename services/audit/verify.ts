// audit verify: stream the ledger partition by partition, recompute every checkpoint, check each
// signature against the key the AUDITOR trusts (never the one a checkpoint names) and the chain of
// checkpoints, and report the first bad offset of each partition.
import type { KeyObject } from 'node:crypto';
import type { Kafka } from '../../adapters/kafka.js';
import { headerText } from '../../adapters/kafka.js';
import { LEGACY_CE_HEADERS } from '../../contracts/topics.js';
import { readCheckpoints } from '../../ledger/checkpoints.js';
import { partitionRanges, scanLegs, type ScanOptions } from '../../ledger/scan.js';
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

function eventIdOf(value: Buffer | null, headers: Parameters<typeof headerText>[0]): string | undefined {
  const fromHeader = headerText(headers, LEGACY_CE_HEADERS.id);
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
