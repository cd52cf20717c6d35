// audit replay: rebuild every subject's state from the ledger with the shared fold and compare it with
// the live projection. The comparison is against the same snapshot: the ledger is read up to the end
// offsets taken at the start, and a projection that has since applied later records of a subject is
// compared on its records below that snapshot (re-folded with the same fold), so live traffic during
// an audit does not show up as differences.
//
// Two comparisons. By default the fingerprints the projection writer stores beside each state
// (contracts/consent/fingerprint.ts) are streamed — 37,500 of them in ~2 s — and only subjects whose
// fingerprint is missing or newer than the snapshot have their documents read. That checks what the
// projector computed and wrote (a wrong fold, a lost or doubled apply, a subject missing or extra). `deep`
// reads and fingerprints every stored document instead, which also finds a document changed behind the
// projector's back — at FerretDB's cost of decoding each one (measured ~1.8 ms per 3.5 KB state: 67 s for
// 37,500 subjects against 12 s for the whole fold).
import { partitionForKey, type Kafka } from '../../adapters/kafka.js';
import { fieldsThatDiffer, stateFingerprint } from '../../contracts/consent/fingerprint.js';
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
  /** What was compared with the ledger: the stored fingerprints, or every stored document (`deep`). */
  compared: 'fingerprints' | 'documents';
}

export type ReplayOptions = Omit<FoldPassOptions, 'onSubjects' | 'onEvent' | 'key' | 'partition'> & {
  maxListed?: number;
  /** Read every stored document, not only the fingerprints (see above). */
  deep?: boolean;
};

/**
 * One pass over the ledger (partition at a time, bounded by foldPass), keeping only a 40-byte
 * fingerprint per subject, and ONE streaming pass over the projection's fingerprints beside it (or,
 * deep, over its documents after it) compares each with it. That is ~150 bytes per subject of memory
 * (≈ 2M subjects in 300 MB) and two sequential scans instead of a query per subject.
 */
export async function replayLedger(
  kafka: Kafka,
  projection: ProjectionReader,
  o: ReplayOptions,
): Promise<ReplayReport> {
  const found = differenceList(o.maxListed ?? 1000);
  const progress = await projection.progress();
  const ledger = o.deep
    ? await fingerprintLedger(kafka, progress, o, found.report)
    : await foldAndCompareFingerprints(kafka, projection, progress, o, found.report);
  if (o.deep) await compareDocuments(projection.allSubjects(), ledger, found.report);
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
    compared: o.deep ? 'documents' : 'fingerprints',
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
  /** Subject → fingerprint of its state folded from the ledger snapshot (not yet matched). */
  folded: Map<string, string>;
  /** Partition → the end offset of the snapshot. */
  snapshot: Map<number, bigint>;
  subjects: number;
  records: number;
  poison: number;
}

type Progress = Awaited<ReturnType<ProjectionReader['progress']>>;
/** Each folded subject's fingerprint as its partition ends (the snapshot of that partition is known then). */
type OnFolded = (subject: string, fingerprint: string, partition: number, high: bigint) => void;

/** Pass 1: fold the ledger snapshot, a fingerprint per subject; a projection behind it is a difference. */
async function fingerprintLedger(
  kafka: Kafka,
  progress: Progress,
  o: ReplayOptions,
  report: Report,
  onFolded?: OnFolded,
): Promise<LedgerFingerprints> {
  const folded = new Map<string, string>();
  const snapshot = new Map<number, bigint>();
  const keep: OnFolded = onFolded ?? ((id, fingerprint) => folded.set(id, fingerprint));
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
        keep(s.subject!, stateFingerprint(s), partition, high);
        subjects++;
      }
    },
  });
  return { folded, snapshot, subjects, records: summary.records, poison: summary.poison };
}

/** Documents read one by one (indexed lookups) in groups of this many: FerretDB scans for a larger `$in`. */
const RECHECK_GROUP = 256;

interface StoredFingerprint {
  _id: string;
  fingerprint: string;
  last: string;
}

/**
 * The fold and the stream of stored fingerprints run at once (the stream is the store's work and the
 * fold ours: measured apart, the replay sat idle ~1.2 s of 6.9 s waiting for the stream). Whichever side
 * of a subject comes second compares it with the first and both are dropped, so what is held is only
 * what is not matched yet (at most one entry per subject, as holding the folded side alone was).
 * A subject whose stored state includes records after the snapshot, or that has no fingerprint, has
 * its document read and compared as `deep` would.
 */
async function foldAndCompareFingerprints(
  kafka: Kafka,
  projection: ProjectionReader,
  progress: Progress,
  o: ReplayOptions,
  report: Report,
): Promise<LedgerFingerprints> {
  const folded = new Map<string, { fingerprint: string; partition: number; high: bigint }>();
  const stored = new Map<string, StoredFingerprint>();
  // Subjects whose documents are read after all → their folded fingerprint (none: only stored).
  const recheck = new Map<string, string | undefined>();
  const compare = (expected: string, partition: number, high: bigint, s: StoredFingerprint) => {
    if (BigInt(s.last) >= high) recheck.set(s._id, expected);
    else if (expected !== s.fingerprint)
      report({
        subject: s._id,
        partition,
        kind: 'differs',
        detail: `differs in: ${fieldsThatDiffer(expected, s.fingerprint).join(', ')}`,
      });
  };
  const streaming = (async () => {
    for await (const s of projection.allFingerprints()) {
      const f = folded.get(s._id);
      if (f === undefined) stored.set(s._id, s);
      else {
        folded.delete(s._id);
        compare(f.fingerprint, f.partition, f.high, s);
      }
    }
  })();
  const folding = fingerprintLedger(kafka, progress, o, report, (id, fingerprint, partition, high) => {
    const s = stored.get(id);
    if (s === undefined) folded.set(id, { fingerprint, partition, high });
    else {
      stored.delete(id);
      compare(fingerprint, partition, high, s);
    }
  });
  const [ledger] = await Promise.all([folding, streaming]);
  const { snapshot } = ledger;
  for (const s of stored.values()) {
    // Nothing folded of it: extra, unless its records after the snapshot explain it (then its document tells).
    const partition = partitionForKey(s._id, snapshot.size);
    if (BigInt(s.last) >= (snapshot.get(partition) ?? 0n)) recheck.set(s._id, undefined);
    else
      report({
        subject: s._id,
        partition,
        kind: 'extra-in-projection',
        detail: 'projected, but the ledger has no event of it',
      });
  }
  for (const [id, f] of folded) recheck.set(id, f.fingerprint); // no fingerprint stored
  for (const [id, fingerprint] of recheck) if (fingerprint !== undefined) ledger.folded.set(id, fingerprint);
  const ids = [...recheck.keys()];
  for (let i = 0; i < ids.length; i += RECHECK_GROUP) {
    const states = await projection.subjects(ids.slice(i, i + RECHECK_GROUP));
    await compareDocuments(states.values(), ledger, report);
  }
  return ledger;
}

/** Each stored state (its records below the snapshot) against its folded fingerprint. */
async function compareDocuments(
  states: AsyncIterable<SubjectState> | Iterable<SubjectState>,
  ledger: LedgerFingerprints,
  report: Report,
) {
  const { folded, snapshot } = ledger;
  for await (const p of states) {
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
    const actual = stateFingerprint(below.length === p.records.length ? p : foldEvents(below));
    const fields = fieldsThatDiffer(expected, actual);
    if (fields.length > 0)
      report({ subject: id, partition, kind: 'differs', detail: `differs in: ${fields.join(', ')}` });
  }
}
