// For cohort filters: the whole subject projection in memory, when it is small enough, kept current
// by reading again only the subjects the ledger wrote since.
//
// Why: a 1,000,000-subject cohort is mostly subjects the ledger knows nothing of, and FerretDB (the
// local MongoDB-wire server) answers an `_id $in` read with a full collection scan — a cohort read
// in batches would scan the projection once per batch. One pass over the projection answers every
// subject. Above `maxStates` subjects the pass stops and the filter falls back to batched `$in` reads
// (what a real MongoDB answers from its _id index).
//
// Compact: a filter's answer reads only a subject's facts (contracts consentDecision), so each subject
// is kept as the JSON text of its facts alone — not the timeline and releases of its whole state, and
// not parsed objects (several times the memory) — and parsed only when a cohort asks for it.
//
// Answers: each subject keeps its last cohort answer (the line's decision and reasons) with the span
// of time it holds for (decide.ts consentDecisionStableUntil). The next filter with the same ask
// reuses it without parsing the facts or deciding again: those were two fifths of a 1,000,000-subject
// filter over 160,000 subjects with state.
//
// Current: the snapshot remembers the ledger high-water marks it is valid at. A filter at later marks
// reads again only the keys the ledger's recent keys (recentLedgerKeys.ts) show written since on each
// partition; when they cannot tell (the snapshot is older than what they remember), the whole
// projection is read again. Refreshes run one at a time; a filter that arrives during one waits for it.
import type { SubjectState } from '../../contracts/consent/fold.js';
import type { ProjectionReader } from '../../projections/reader.js';
import type { HighWaterMarks } from './freshness.js';
import type { RecentLedgerKeys } from './recentLedgerKeys.js';
import { FactsTable } from './factsTable.js';

export type DecisionFacts = Pick<SubjectState, 'facts'>;

/** A subject's answer to one cohort ask, kept while the clock cannot turn it (decide.ts consentDecisionStableUntil). */
export interface KeptAnswer {
  decision: 'permit' | 'deny';
  /** The answer's NDJSON line after the subject (cohortFilter.ts). */
  tail: string;
  /** Valid for asks at instants in [fromMs, untilMs) (epoch ms; Infinity: until the facts change). */
  untilMs: number;
}
interface Kept extends KeptAnswer {
  ask: string;
  fromMs: number;
}

export interface Snapshot {
  get(subject: string): DecisionFacts | undefined;
  /**
   * The subject's answer to `ask` (everything but the facts and the time it depends on) at `atMs`:
   * the one kept from an earlier filter while it still holds, else `decide`'s on its facts, then kept.
   * Undefined: the subject has no state. A kept answer goes with its facts (the refresh sets them again).
   */
  answer(
    subject: string,
    ask: string,
    atMs: number,
    decide: (facts: DecisionFacts) => KeptAnswer,
  ): KeptAnswer | undefined;
}

interface Held {
  marks: HighWaterMarks;
  texts: FactsTable<Kept>;
}

/** Changed keys read again with single-id reads up to this many; more, and the whole projection is read. */
const REREAD_MAX = 5_000;
/** After a pass found the projection too large, filters use batched reads for this long before trying again. */
const TOO_LARGE_RETRY_MS = 10 * 60_000;

export class ProjectionSnapshots {
  private held: Held | undefined;
  private tooLargeUntil = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly reader: Pick<ProjectionReader, 'allSubjectTexts' | 'subjectTexts'>,
    private readonly maxStates: number,
    private readonly recentKeys?: RecentLedgerKeys,
  ) {}

  /** Every subject's state at (or after) `marks`, or undefined when the projection is larger than maxStates. */
  all(marks: HighWaterMarks): Promise<Snapshot | undefined> {
    const next = this.queue.then(() => this.current(marks));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async current(marks: HighWaterMarks): Promise<Snapshot | undefined> {
    if (this.maxStates <= 0 || Date.now() < this.tooLargeUntil) return undefined;
    const held = this.held;
    if (held) {
      const changed = this.changedSince(held.marks, marks);
      if (changed && changed.length <= REREAD_MAX) {
        const texts = await this.reader.subjectTexts(changed);
        // A key that is not a subject (a data user) or no longer has a state is simply absent.
        for (const key of changed) {
          const text = texts.get(key);
          if (text === undefined) held.texts.delete(key);
          else held.texts.set(key, factsText(text));
        }
        if (held.texts.size > this.maxStates) {
          this.drop();
          return undefined;
        }
        held.marks = laterOf(held.marks, marks);
        return snapshotOf(held.texts);
      }
    }
    this.held = undefined; // read afresh; a failed read leaves nothing half done behind
    const texts = new FactsTable<Kept>(held?.texts.size);
    for await (const { subject, json } of this.reader.allSubjectTexts()) {
      if (texts.size >= this.maxStates) {
        this.drop();
        return undefined; // leaving the loop closes the cursor
      }
      texts.set(subject, factsText(json));
    }
    this.held = { marks, texts };
    return snapshotOf(texts);
  }

  private drop(): void {
    this.held = undefined;
    this.tooLargeUntil = Date.now() + TOO_LARGE_RETRY_MS;
  }

  /** The keys written between the two sets of marks (a superset), or undefined when that is not known. */
  private changedSince(from: HighWaterMarks, to: HighWaterMarks): string[] | undefined {
    const keys = new Set<string>();
    for (const [p, mark] of to) {
      const since = Number(from.get(p) ?? '0');
      if (Number(mark) <= since) continue;
      const written = this.recentKeys?.keysFrom(p, since, Number(mark));
      if (!written) return undefined;
      for (const k of written) keys.add(k);
    }
    return [...keys];
  }
}

/** Per partition, the later of two marks (a refresh for earlier marks leaves the snapshot where it was). */
function laterOf(a: HighWaterMarks, b: HighWaterMarks): HighWaterMarks {
  const out = new Map(a);
  for (const [p, m] of b) if (BigInt(m) > BigInt(out.get(p) ?? '0')) out.set(p, m);
  return out;
}

const factsText = (stateJson: string): string => JSON.stringify((JSON.parse(stateJson) as SubjectState).facts);

const parsed = (text: string): DecisionFacts => ({ facts: JSON.parse(text) as SubjectState['facts'] });

function snapshotOf(texts: FactsTable<Kept>): Snapshot {
  return {
    get: (subject) => {
      const text = texts.get(subject);
      return text === undefined ? undefined : parsed(text);
    },
    answer: (subject, ask, atMs, decide) => {
      const entry = texts.entry(subject);
      if (entry < 0) return undefined;
      const kept = texts.memo(entry);
      if (kept?.ask === ask && kept.fromMs <= atMs && atMs < kept.untilMs) return kept;
      const fresh = decide(parsed(texts.text(entry)));
      texts.remember(entry, { ...fresh, ask, fromMs: atMs });
      return fresh;
    },
  };
}
