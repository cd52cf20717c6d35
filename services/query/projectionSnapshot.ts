// For cohort filters: the whole subject projection in memory, when it is small enough.
//
// Why: a 1,000,000-subject cohort is mostly subjects the ledger knows nothing of, and FerretDB (the
// local MongoDB-wire server) answers an `_id $in` read with a full collection scan — a cohort read
// in batches would scan the projection once per batch. One pass over the projection, started as the
// request arrives and running while the cohort is still being uploaded, answers every subject.
// Above `maxStates` subjects the pass stops and the filter falls back to batched `$in` reads (what a
// real MongoDB answers from its _id index).
//
// The snapshot is taken after the freshness wait and is reused by later filters only while every
// ledger partition's high-water mark is unchanged — i.e. while nothing new can have been projected.
import type { SubjectState } from '../../contracts/consent/fold.js';
import type { ProjectionReader } from '../../projections/reader.js';
import type { HighWaterMarks } from './freshness.js';

export type Snapshot = ReadonlyMap<string, SubjectState>;

export class ProjectionSnapshots {
  private last: { key: string; states: Promise<Snapshot | undefined> } | undefined;

  constructor(
    private readonly reader: Pick<ProjectionReader, 'allSubjects'>,
    private readonly maxStates: number,
  ) {}

  /** Every subject's state at (or after) `marks`, or undefined when the projection is larger than maxStates. */
  all(marks: HighWaterMarks): Promise<Snapshot | undefined> {
    const key = [...marks]
      .sort(([a], [b]) => a - b)
      .map(([p, o]) => `${p}:${o}`)
      .join(',');
    if (this.last?.key === key) return this.last.states;
    const states = this.scan();
    this.last = { key, states };
    states.catch(() => {
      if (this.last?.states === states) this.last = undefined;
    });
    return states;
  }

  private async scan(): Promise<Snapshot | undefined> {
    if (this.maxStates <= 0) return undefined;
    const out = new Map<string, SubjectState>();
    for await (const state of this.reader.allSubjects()) {
      if (out.size >= this.maxStates) return undefined; // leaving the loop closes the cursor
      if (state.subject !== undefined) out.set(state.subject, state);
    }
    return out;
  }
}
