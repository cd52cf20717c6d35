// audit replay: rebuild every subject's state from the ledger with the shared fold and compare it with
// the live projection. The comparison is against the same snapshot: the ledger is read up to the end
// offsets taken at the start, and a projection that has since applied later records of a subject is
// compared on its records below that snapshot (re-folded with the same fold), so live traffic during
// an audit does not show up as differences.
import { createHash } from 'node:crypto';
import { partitionForKey, type Kafka } from '../../adapters/kafka.js';
import { canonicalJson } from '../../contracts/consent/canonical.js';
import { foldEvents, type SubjectState } from '../../contracts/consent/fold.js';
import type { ProjectionReader } from '../../projections/reader.js';
import { foldLedger, type FoldPassOptions } from './foldPass.js';

export interface ReplayDifference {
  subject?: string;
  partition: number;
  kind: 'missing-in-projection' | 'extra-in-projection' | 'differs' | 'projection-behind';
  detail: string;
}

export interface ReplayReport {
  ok: boolean;
  ledgerTopic: string;
  subjects: number;
  records: number;
  poison: number;
  differences: ReplayDifference[];
  /** Differences are listed up to this many; `differenceCount` counts them all. */
  differenceCount: number;
}

export type ReplayOptions = Omit<FoldPassOptions, 'onSubjects' | 'onEvent' | 'key' | 'partition'> & {
  maxListed?: number;
};

const FIELDS = ['subject', 'records', 'facts', 'unresolved', 'releases'] as const;

/** 8 bytes of sha256 per field of a state: enough to tell equal from different, and which field. */
function fingerprint(s: SubjectState): Buffer {
  return Buffer.concat(
    FIELDS.map((k) =>
      createHash('sha256')
        .update(canonicalJson(s[k] ?? null))
        .digest()
        .subarray(0, 8),
    ),
  );
}
const fieldsThatDiffer = (a: Buffer, b: Buffer) =>
  FIELDS.filter((_, i) => !a.subarray(i * 8, i * 8 + 8).equals(b.subarray(i * 8, i * 8 + 8)));

/**
 * One pass over the ledger (partition at a time, bounded by foldPass), keeping only a 40-byte
 * fingerprint per subject; then ONE streaming pass over the projection compares each stored state
 * with its fingerprint. That is ~150 bytes per subject of memory (≈ 2M subjects in 300 MB) and two
 * sequential scans instead of a query per subject — which matters on FerretDB, whose $in is slow.
 */
export async function replayLedger(
  kafka: Kafka,
  projection: ProjectionReader,
  o: ReplayOptions,
): Promise<ReplayReport> {
  const found = differenceList(o.maxListed ?? 1000);
  const ledger = await fingerprintLedger(kafka, await projection.progress(), o, found.report);
  await compareProjection(projection, ledger, found.report);
  // What is left was never matched by a projected subject.
  for (const id of ledger.folded.keys()) {
    found.report({
      subject: id,
      partition: partitionForKey(id, ledger.snapshot.size),
      kind: 'missing-in-projection',
      detail: 'events on the ledger, nothing projected',
    });
  }
  return {
    ok: found.count() === 0,
    ledgerTopic: o.ledgerTopic,
    subjects: ledger.subjects,
    records: ledger.records,
    poison: ledger.poison,
    differences: found.listed,
    differenceCount: found.count(),
  };
}

type Report = (d: ReplayDifference) => void;

/** Every difference is counted; the first `maxListed` are kept. */
function differenceList(maxListed: number) {
  const listed: ReplayDifference[] = [];
  let count = 0;
  return {
    listed,
    count: () => count,
    report: (d: ReplayDifference) => {
      count++;
      if (listed.length < maxListed) listed.push(d);
    },
  };
}

interface LedgerFingerprints {
  /** Subject → fingerprint of its state folded from the ledger snapshot. */
  folded: Map<string, Buffer>;
  /** Partition → the end offset of the snapshot. */
  snapshot: Map<number, bigint>;
  subjects: number;
  records: number;
  poison: number;
}

/** Pass 1: fold the ledger snapshot, keeping a fingerprint per subject; a projection behind it is a difference. */
async function fingerprintLedger(
  kafka: Kafka,
  progress: Awaited<ReturnType<ProjectionReader['progress']>>,
  o: ReplayOptions,
  report: Report,
): Promise<LedgerFingerprints> {
  const folded = new Map<string, Buffer>();
  const snapshot = new Map<number, bigint>();
  let subjects = 0;
  const summary = await foldLedger(kafka, {
    ...o,
    onSubjects: (states, partition, high) => {
      snapshot.set(partition, high);
      const applied = progress.get(partition);
      if (states.length > 0 && (applied === undefined || BigInt(applied) < high)) {
        report({
          partition,
          kind: 'projection-behind',
          detail: `the projection has applied partition ${partition} up to offset ${applied ?? 'none'}; the ledger snapshot ends at ${high}`,
        });
      }
      for (const s of states) {
        folded.set(s.subject!, fingerprint(s));
        subjects++;
      }
    },
  });
  return { folded, snapshot, subjects, records: summary.records, poison: summary.poison };
}

/** Pass 2: stream the projection, comparing each stored state (below the snapshot) with its fingerprint. */
async function compareProjection(projection: ProjectionReader, ledger: LedgerFingerprints, report: Report) {
  const { folded, snapshot } = ledger;
  for await (const p of projection.allSubjects()) {
    const id = p.subject;
    if (id === undefined) continue;
    const partition = p.records[0]?.position.partition ?? partitionForKey(id, snapshot.size);
    const high = snapshot.get(partition) ?? 0n;
    // Records the projection applied after our snapshot are left out (re-folded with the same fold).
    const below = p.records.filter((r) => BigInt(r.position.offset) < high);
    const expected = folded.get(id);
    if (!expected) {
      if (below.length > 0)
        report({
          subject: id,
          partition,
          kind: 'extra-in-projection',
          detail: 'projected, but the ledger has no event of it',
        });
      continue;
    }
    folded.delete(id);
    const fields = fieldsThatDiffer(expected, fingerprint(below.length === p.records.length ? p : foldEvents(below)));
    if (fields.length > 0)
      report({ subject: id, partition, kind: 'differs', detail: `differs in: ${fields.join(', ')}` });
  }
}
