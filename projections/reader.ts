// The read API over the projections, used by the query service, the workflows and the auditor.
//
// Switch-over: every call resolves the active generation from `projection_meta/active` (see
// generation.ts), cached for META_TTL_MS, so a reader follows a rebuild's switch within that time
// without a restart. A call racing the switch may answer from the old generation once — it was
// complete and current up to the moment of the switch, so the answer is one a moment older, never
// a mixture. `allSubjects` keeps to the generation it started with (a long scan must not change
// generations half way); if the rebuild drops it meanwhile, the scan ends with an error.
import type { Db } from '../adapters/mongo.js';
import type { SubjectState } from '../contracts/consent/fold.js';
import type { DataUserRecord } from '../contracts/consent/dataUsers.js';
import {
  activeGenerationName,
  generation,
  subjectOfStored,
  subjectTextOfStored,
  withoutId,
  type FingerprintDoc,
  type Generation,
  type StoredSubjectDoc,
} from './generation.js';
import { IN_BATCH, findByIds } from './lookup.js';

export interface ProjectionReader {
  /** The subject's folded state (contracts SubjectState incl. records = timeline, with positions and `time`,
   *  so `stateAsOf(state.records, T)` answers point-in-time), undefined when the ledger has nothing of it. */
  subject(subject: string): Promise<SubjectState | undefined>;
  /** Many at once (cohort filters: up to 1,000,000 ids, so batch the $in queries); absent ids are not in the map. */
  subjects(ids: readonly string[]): Promise<Map<string, SubjectState>>;
  /** Every subject's state, streamed (bounded memory) — for the auditor's deep replay comparison. */
  allSubjects(): AsyncIterable<SubjectState>;
  /** Every subject's state as its JSON text (JSON.parse gives the state), streamed: the compact form
   *  a cohort filter's in-memory snapshot keeps (services/query/projectionSnapshot.ts). */
  allSubjectTexts(): AsyncIterable<{ subject: string; json: string }>;
  /** A few subjects' states as JSON text, by single-id reads; absent ids are not in the map. */
  subjectTexts(ids: readonly string[]): Promise<Map<string, string>>;
  /** Every subject's stored fingerprint (projections/generation.ts FingerprintDoc), streamed. */
  allFingerprints(): AsyncIterable<FingerprintDoc>;
  dataUser(id: string): Promise<DataUserRecord | undefined>;
  dataUsers(): Promise<DataUserRecord[]>;
  /** partition → next ledger offset to apply (everything before it is projected). */
  progress(): Promise<Map<number, string>>;
  /** Resolves true once the projection has applied the ledger record at (partition, offset); false on timeout. */
  waitForOffset(partition: number, offset: string, timeoutMs: number): Promise<boolean>;
}

export const META_TTL_MS = 250;
/** Fingerprints are ~100 bytes: few round trips. */
const FINGERPRINT_BATCH = 10_000;
const WAIT_POLL_MS = 25;

export interface ReaderOptions {
  /** Read this generation only (e.g. to compare a rebuild with the live one) instead of following the active one. */
  generation?: string;
}

const stateOf = (doc: StoredSubjectDoc): SubjectState => withoutId(subjectOfStored(doc));

export function projectionReader(db: Db, options: ReaderOptions = {}): ProjectionReader {
  let cached: { at: number; gen: Generation } | undefined;
  const current = async (): Promise<Generation> => {
    if (options.generation) return (cached ??= { at: 0, gen: generation(db, options.generation) }).gen;
    const now = Date.now();
    if (!cached || now - cached.at > META_TTL_MS)
      cached = { at: now, gen: generation(db, await activeGenerationName(db)) };
    return cached.gen;
  };
  const progress = async () => {
    const g = await current();
    const docs = await g.progress.find({}).toArray();
    return new Map(docs.map((d) => [d._id, d.next]));
  };

  return {
    async subject(subject) {
      const doc = await (await current()).subjects.findOne({ _id: subject });
      return doc ? stateOf(doc) : undefined;
    },
    async subjects(ids) {
      const g = await current();
      const docs = await findByIds(g.subjects, [...new Set(ids)]);
      return new Map(docs.map((d) => [d._id, stateOf(d)]));
    },
    async *allSubjects() {
      const g = await current();
      for await (const doc of g.subjects.find({}, { batchSize: IN_BATCH })) yield stateOf(doc);
    },
    async *allSubjectTexts() {
      const g = await current();
      for await (const doc of g.subjects.find({}, { batchSize: IN_BATCH }))
        yield { subject: doc._id, json: subjectTextOfStored(doc) };
    },
    async subjectTexts(ids) {
      const g = await current();
      const docs = await findByIds(g.subjects, [...new Set(ids)], Infinity);
      return new Map(docs.map((d) => [d._id, subjectTextOfStored(d)]));
    },
    async *allFingerprints() {
      const g = await current();
      yield* g.fingerprints.find({}, { batchSize: FINGERPRINT_BATCH });
    },
    async dataUser(id) {
      const doc = await (await current()).dataUsers.findOne({ _id: id });
      return doc ? withoutId(doc) : undefined;
    },
    async dataUsers() {
      const docs = await (await current()).dataUsers.find({}).toArray();
      return docs.map(withoutId).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    progress,
    async waitForOffset(partition, offset, timeoutMs) {
      const target = BigInt(offset);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const doc = await (await current()).progress.findOne({ _id: partition });
        const next = doc?.next;
        if (next !== undefined && BigInt(next) > target) return true;
        if (Date.now() >= deadline) return false;
        await new Promise((r) => setTimeout(r, Math.min(WAIT_POLL_MS, Math.max(1, deadline - Date.now()))));
      }
    },
  };
}
