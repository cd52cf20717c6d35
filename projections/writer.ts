// Applying ledger records to a generation of projections — the only writer of projection documents
// (the live projector and the rebuild both use it).
//
// Crash safety without transactions (FerretDB has none): a batch writes each changed subject's
// fingerprint, then the subject and data-user documents, and the partition's progress after them. A crash
// in between leaves documents that already contain some of the batch's events and progress that does not;
// the batch is read again and every event is folded again — a no-op, because the contracts' folds dedupe
// by event id (evolve, evolveDataUser). So no event is ever applied twice, and nothing is skipped:
// progress only moves past records whose effects are stored. A fingerprint written before a crash
// describes the state the retry writes (the same fold of the same records), which rewrites it too: the
// stored document still differs from that state.
import { isDuplicateKey, type AnyBulkWriteOperation, type Collection, type Filter } from '../adapters/mongo.js';
import { EMPTY_STATE, evolve, type SubjectState } from '../contracts/consent/fold.js';
import {
  evolveDataUser,
  isDataUserEvent,
  type DataUserEvent,
  type DataUserRecord,
} from '../contracts/consent/dataUsers.js';
import type { LedgerRecord } from '../ledger/reader.js';
import { stateFingerprint, lastOffset } from '../contracts/consent/fingerprint.js';
import {
  storedSubject,
  subjectOfStored,
  withoutId,
  type FingerprintDoc,
  type Generation,
  type DataUserDoc,
  type StoredSubjectDoc,
  type SubjectDoc,
} from './generation.js';
import { findByIds } from './lookup.js';

export interface Applied {
  /** Records folded (re-deliveries included: they fold to no change). */
  events: number;
  subjectsWritten: number;
  dataUsersWritten: number;
}

/**
 * The ids that have a document in a generation, as far as this process knows (loaded once, then kept
 * up to date with its own inserts). An id not in it is not looked up but inserted — reads are what
 * FerretDB (SQLite) is slowest at: measured, even a lookup by `_id` grows with the collection. If the
 * set is wrong (another instance inserted the document meanwhile), the insert fails on the unique
 * `_id` and that subject is looked up and folded again, so a stale set costs a retry, never a wrong
 * document.
 */
export interface KnownIds {
  subjects: Set<string>;
  dataUsers: Set<string>;
}

/** The ids present in a generation (one scan of `_id`s). */
export async function loadKnownIds(g: Generation): Promise<KnownIds> {
  const ids = async (col: Collection<{ _id: string }>) => {
    const out = new Set<string>();
    for await (const d of col.find({}, { projection: { _id: 1 }, batchSize: 5000 })) out.add(d._id);
    return out;
  };
  return {
    subjects: await ids(g.subjects as unknown as Collection<{ _id: string }>),
    dataUsers: await ids(g.dataUsers as unknown as Collection<{ _id: string }>),
  };
}

/** Fold `records` (one partition, ledger order) into the generation's documents. Idempotent. */
export async function applyRecords(
  g: Generation,
  records: readonly LedgerRecord[],
  known?: KnownIds,
): Promise<Applied> {
  const bySubject = new Map<string, LedgerRecord[]>();
  const byDataUser = new Map<string, DataUserEvent[]>();
  for (const r of records) {
    if (isDataUserEvent(r.event)) push(byDataUser, r.event.data.dataUserId, r.event);
    else push(bySubject, r.event.subject, r);
  }
  const subjectsWritten = await applyFold<SubjectState, LedgerRecord, StoredSubjectDoc>(
    g.subjects,
    { encode: storedSubject, decode: subjectOfStored },
    bySubject,
    (stored, list) => {
      const before = stored ?? EMPTY_STATE;
      let state = before;
      // Only partition and offset: evolve keeps the position object it is given.
      for (const r of list) state = evolve(state, r.event, { partition: r.partition, offset: r.offset });
      return state === before ? undefined : state;
    },
    known?.subjects,
    (inserted, replaced) => writeFingerprints(g.fingerprints, inserted, replaced),
  );
  const dataUsersWritten = await applyFold<DataUserRecord, DataUserEvent, DataUserDoc>(
    g.dataUsers,
    { encode: (d) => d, decode: (d) => d },
    byDataUser,
    (stored, list) => {
      let record = stored;
      for (const event of list) record = evolveDataUser(record, event);
      return record === stored ? undefined : record;
    },
    known?.dataUsers,
  );
  return { events: records.length, subjectsWritten, dataUsersWritten };
}

type Keyed<T> = T & { _id: string };

/** How a collection stores a value (generation.ts#storedSubject) and reads it back. */
interface Codec<T, S> {
  encode(doc: Keyed<T>): S;
  decode(stored: S): Keyed<T>;
}

/**
 * Read the stored documents of `groups`' keys, fold each group into its document, write the changed
 * ones. New documents go in one insertMany, existing ones are replaced: FerretDB (SQLite) inserts a
 * batch in one statement but runs each update on its own, so a rebuild — nearly all inserts — is
 * much faster this way. `fold` returns undefined when nothing changed.
 * Inserting is safe without a transaction because one consumer owns a partition (and a subject's
 * events are all on one partition); should a document appear meanwhile anyway (a rebalance can let
 * two owners overlap for a moment), its insert fails on the key and that group is folded again onto
 * the stored document.
 */
async function applyFold<T extends object, R, S extends { _id: string }>(
  col: Collection<S>,
  codec: Codec<T, S>,
  groups: Map<string, R[]>,
  fold: (stored: T | undefined, list: R[]) => T | undefined,
  written?: Set<string>,
  beforeWrite?: (inserted: Keyed<T>[], replaced: Keyed<T>[]) => Promise<void>,
  retry = true,
): Promise<number> {
  if (groups.size === 0) return 0;
  const ids = [...groups.keys()];
  const stored = await loadByIds(col, codec, written ? ids.filter((id) => written.has(id)) : ids);
  const inserts: Keyed<T>[] = [];
  const replaced: Keyed<T>[] = [];
  for (const [id, list] of groups) {
    const before = stored.get(id);
    const after = fold(before, list);
    if (after === undefined) continue;
    (before === undefined ? inserts : replaced).push({ _id: id, ...after });
  }
  if (beforeWrite && inserts.length + replaced.length > 0) await beforeWrite(inserts, replaced);
  const replaces = replaced.map((doc): AnyBulkWriteOperation<S> => {
    const { _id, ...after } = codec.encode(doc);
    return { replaceOne: { filter: { _id } as Filter<S>, replacement: after } };
  });
  let collided: string[] = [];
  if (inserts.length > 0) {
    try {
      await col.insertMany(inserts.map((d) => codec.encode(d)) as never[], { ordered: false, ignoreUndefined: true });
    } catch (err) {
      if (!retry) throw err;
      collided = collidedIndexes(err).map((i) => inserts[i]!._id);
    }
  }
  if (replaces.length > 0) await col.bulkWrite(replaces, { ordered: false, ignoreUndefined: true });
  if (written) for (const d of inserts) written.add(d._id); // collided ones too: they exist
  if (collided.length > 0)
    await applyFold(
      col,
      codec,
      new Map(collided.map((id) => [id, groups.get(id)!])),
      fold,
      undefined,
      beforeWrite,
      false,
    );
  return inserts.length + replaces.length;
}

/**
 * New subjects' fingerprints in one insertMany (a rebuild is nearly all inserts); changed ones replaced,
 * upserting, as is a new one whose fingerprint is already there (written before a crash).
 */
async function writeFingerprints(col: Collection<FingerprintDoc>, inserted: SubjectDoc[], replaced: SubjectDoc[]) {
  const doc = (s: SubjectDoc): FingerprintDoc => ({
    _id: s._id,
    fingerprint: stateFingerprint(s),
    last: lastOffset(s),
  });
  const upserts = replaced.map(doc);
  if (inserted.length > 0) {
    const docs = inserted.map(doc);
    try {
      await col.insertMany(docs, { ordered: false });
    } catch (err) {
      upserts.push(...collidedIndexes(err).map((i) => docs[i]!));
    }
  }
  if (upserts.length > 0)
    await col.bulkWrite(
      upserts.map((d) => ({ replaceOne: { filter: { _id: d._id }, replacement: d, upsert: true } })),
      { ordered: false },
    );
}

/** Which documents of an unordered insertMany failed on the unique `_id`; any other error is rethrown. */
function collidedIndexes(err: unknown): number[] {
  const failed = (err as { writeErrors?: { index: number }[] }).writeErrors ?? [];
  if (!isDuplicateKey(err) || failed.length === 0) throw err;
  return failed.map((e) => e.index);
}

async function loadByIds<T, S extends { _id: string }>(
  col: Collection<S>,
  codec: Codec<T, S>,
  ids: string[],
): Promise<Map<string, T>> {
  // Always by single ids: a batch's subjects are few per query and must not cost a collection scan.
  const docs = await findByIds(col, ids, Infinity);
  return new Map(docs.map((d) => [d._id, withoutId(codec.decode(d)) as T]));
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V) {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** The next offset to apply on `partition` ("0" when nothing was applied yet). */
export async function nextOffset(g: Generation, partition: number): Promise<string> {
  return (await g.progress.findOne({ _id: partition }))?.next ?? '0';
}

/** Record that everything before `next` on `partition` is applied. Written only after the documents. */
export async function recordProgress(g: Generation, partition: number, next: string): Promise<void> {
  await g.progress.updateOne({ _id: partition }, { $set: { next, updatedAt: new Date() } }, { upsert: true });
}
