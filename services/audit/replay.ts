// audit replay: rebuild every subject's state from the ledger with the shared fold and compare it with
// the live projection. The comparison is against the same snapshot: the ledger is read up to the end
// offsets taken at the start, and a projection that has since applied later records of a subject is
// compared on its records below that snapshot (re-folded with the same fold), so live traffic during
// an audit does not show up as differences.
import type { Kafka } from '../../adapters/kafka.js';
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

export type ReplayOptions = Omit<FoldPassOptions, 'onSubjects' | 'onEvent' | 'key' | 'partition'> & { maxListed?: number };

const fieldsThatDiffer = (a: SubjectState, b: SubjectState) =>
  (['records', 'facts', 'unresolved', 'releases', 'subject'] as const).filter((k) => canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null));

export async function replayLedger(kafka: Kafka, projection: ProjectionReader, o: ReplayOptions): Promise<ReplayReport> {
  const maxListed = o.maxListed ?? 1000;
  const differences: ReplayDifference[] = [];
  let count = 0;
  const report = (d: ReplayDifference) => { count++; if (differences.length < maxListed) differences.push(d); };
  // The one structure that grows with the ledger: which subjects it has (for "extra in projection").
  const seen = new Set<string>();
  const snapshot = new Map<number, bigint>();
  let subjects = 0;
  const progress = await projection.progress();

  const summary = await foldLedger(kafka, {
    ...o,
    onSubjects: async (states, partition, high) => {
      snapshot.set(partition, high);
      const applied = progress.get(partition);
      if (states.length > 0 && (applied === undefined || BigInt(applied) < high)) {
        report({ partition, kind: 'projection-behind', detail: `the projection has applied partition ${partition} up to offset ${applied ?? 'none'}; the ledger snapshot ends at ${high}` });
      }
      for (let i = 0; i < states.length; i += 1000) {
        const slice = states.slice(i, i + 1000);
        const stored = await projection.subjects(slice.map((s) => s.subject!));
        for (const folded of slice) {
          const id = folded.subject!;
          seen.add(id);
          subjects++;
          const p = stored.get(id);
          if (!p) { report({ subject: id, partition, kind: 'missing-in-projection', detail: `${folded.records.length} events on the ledger, none projected` }); continue; }
          const below = p.records.filter((r) => BigInt(r.position.offset) < high);
          const comparable = below.length === p.records.length ? p : foldEvents(below);
          const fields = fieldsThatDiffer(folded, comparable);
          if (fields.length > 0) report({ subject: id, partition, kind: 'differs', detail: `differs in: ${fields.join(', ')}` });
        }
      }
    },
  });
  for await (const p of projection.allSubjects()) {
    const id = p.subject;
    if (id === undefined || seen.has(id)) continue;
    const partition = p.records[0]?.position.partition ?? -1;
    const high = snapshot.get(partition) ?? 0n;
    if (p.records.some((r) => BigInt(r.position.offset) < high)) {
      report({ subject: id, partition, kind: 'extra-in-projection', detail: 'projected, but the ledger has no event of it' });
    }
  }
  return { ok: count === 0, ledgerTopic: o.ledgerTopic, subjects, records: summary.records, poison: summary.poison, differences, differenceCount: count };
}
