// The checkpoints topic read back: every signed checkpoint per sealed ledger partition, in the order
// written. Both the sealer (to resume after its last checkpoint) and the auditor (to verify against
// them) read it, so it lives with the ledger rather than in either service.
//
// The sealer writes checkpoints in transactions (services/sealer/claims.ts: fenced per ledger
// partition), so this is read read_committed: a fenced sealer's aborted checkpoint is never seen, and
// the commit/abort markers between checkpoints are read past (ledger/scan.ts). The snapshot ends at
// the last stable offset; a sealer taking a partition over reads further, up to its own mark (`until`).
// Marks (CLAIM_MARK_HEADER, no value) carry nothing and are skipped.
import { headerText, type Kafka } from '../adapters/kafka.js';
import { CheckpointSchema, checkpointHash, type Checkpoint } from '../contracts/checkpoint.js';
import { partitionRanges, scanLegs } from './scan.js';

/** A record on the checkpoints topic that does not parse as a checkpoint. */
export interface ForgedCheckpoint {
  partition: number;
  offset: string;
  kind: 'forged-checkpoint';
  detail: string;
}

export interface CheckpointLog {
  byPartition: Map<number, Checkpoint[]>;
  /** Exact repeats of a checkpoint already read (a producer retry); ignored. */
  duplicates: number;
  /** Records on the checkpoints topic that are not a checkpoint (an auditor reports each). */
  problems: ForgedCheckpoint[];
}

/** Header of the empty record a sealer commits when it claims a partition (services/sealer/claims.ts). */
export const CLAIM_MARK_HEADER = 'consent-ledger-mark';

export interface ReadCheckpointsOptions {
  /** Per checkpoints-topic partition, read at least up to this offset (exclusive), waiting for the
   *  transactions before it to settle: a sealer's mark written after it fenced the earlier sealers. */
  until?: ReadonlyMap<number, bigint>;
}

/** Every checkpoint on the checkpoints topic, per ledger partition, in the order written. */
export async function readCheckpoints(
  kafka: Kafka,
  topic: string,
  sealedTopic: string,
  opts: ReadCheckpointsOptions = {},
): Promise<CheckpointLog> {
  const log: CheckpointLog = { byPartition: new Map(), duplicates: 0, problems: [] };
  const seen = new Set<string>();
  const ranges = await partitionRanges(kafka, topic);
  const end = (r: (typeof ranges)[number]) => {
    const until = opts.until?.get(r.partition) ?? 0n;
    return until > r.high ? until : r.high;
  };
  await scanLegs(
    kafka,
    topic,
    ranges.map((r) => ({
      partition: r.partition,
      from: r.low,
      to: end(r),
      onRecords: (records) => {
        for (const r of records) {
          if (r.value === null && headerText(r.headers, CLAIM_MARK_HEADER) !== undefined) continue;
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
