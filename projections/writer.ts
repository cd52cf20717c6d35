// Applying ledger records to a generation of projections — the only writer of projection documents
// (the live projector and the rebuild both use it).
//
// Crash safety without transactions (FerretDB has none): a batch writes the subject and data-user
// documents first and the partition's progress after them. A crash in between leaves documents that
// already contain some of the batch's events and progress that does not; the batch is read again and
// every event is folded again — a no-op, because the contracts' folds dedupe by event id (evolve,
// evolveDataUser). So no event is ever applied twice, and nothing is skipped: progress only moves
// past records whose effects are stored.
import type { AnyBulkWriteOperation, Collection, Filter } from '../adapters/mongo.js';
import { EMPTY_STATE, evolve, type SubjectState } from '../contracts/consent/fold.js';
import { evolveDataUser, isDataUserEvent, type DataUserEvent, type DataUserRecord } from '../contracts/consent/dataUsers.js';
import type { LedgerRecord } from '../ledger/reader.js';
import { withoutId, type DataUserDoc, type Generation, type SubjectDoc } from './generation.js';
import { IN_BATCH } from './reader.js';

export interface Applied {
  /** Records folded (re-deliveries included: they fold to no change). */
  events: number;
  subjectsWritten: number;
  dataUsersWritten: number;
}

/** Fold `records` (one partition, ledger order) into the generation's documents. Idempotent. */
export async function applyRecords(g: Generation, records: readonly LedgerRecord[]): Promise<Applied> {
  const bySubject = new Map<string, LedgerRecord[]>();
  const byDataUser = new Map<string, { event: DataUserEvent }[]>();
  for (const r of records) {
    if (isDataUserEvent(r.event)) push(byDataUser, r.event.data.dataUserId, { event: r.event });
    else push(bySubject, r.event.subject, r);
  }
  const subjectsWritten = await applySubjects(g, bySubject);
  const dataUsersWritten = await applyDataUsers(g, byDataUser);
  return { events: records.length, subjectsWritten, dataUsersWritten };
}

async function applySubjects(g: Generation, bySubject: Map<string, LedgerRecord[]>): Promise<number> {
  if (bySubject.size === 0) return 0;
  const stored = await loadByIds<SubjectState>(g.subjects, [...bySubject.keys()]);
  const ops: AnyBulkWriteOperation<SubjectDoc>[] = [];
  for (const [subject, list] of bySubject) {
    const before: SubjectState = stored.get(subject) ?? EMPTY_STATE;
    let state = before;
    // Positions travel with the events: evolve sorts late arrivals into fold order and re-derives.
    // Only partition and offset: evolve stores the position object as given.
    for (const r of list) state = evolve(state, r.event, { partition: r.partition, offset: r.offset });
    if (state !== before) ops.push({ replaceOne: { filter: { _id: subject }, replacement: state, upsert: true } });
  }
  if (ops.length > 0) await g.subjects.bulkWrite(ops, { ordered: false, ignoreUndefined: true });
  return ops.length;
}

async function applyDataUsers(g: Generation, byDataUser: Map<string, { event: DataUserEvent }[]>): Promise<number> {
  if (byDataUser.size === 0) return 0;
  const stored = await loadByIds<DataUserRecord>(g.dataUsers, [...byDataUser.keys()]);
  const ops: AnyBulkWriteOperation<DataUserDoc>[] = [];
  for (const [id, list] of byDataUser) {
    const before: DataUserRecord | undefined = stored.get(id);
    let record = before;
    for (const { event } of list) record = evolveDataUser(record, event);
    if (record !== undefined && record !== before) ops.push({ replaceOne: { filter: { _id: id }, replacement: record, upsert: true } });
  }
  if (ops.length > 0) await g.dataUsers.bulkWrite(ops, { ordered: false, ignoreUndefined: true });
  return ops.length;
}

async function loadByIds<T>(col: Collection<T & { _id: string }>, ids: string[]): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (let i = 0; i < ids.length; i += IN_BATCH) {
    const docs = (await col.find({ _id: { $in: ids.slice(i, i + IN_BATCH) } } as Filter<T & { _id: string }>).toArray()) as (T & { _id: string })[];
    for (const d of docs) out.set(d._id, withoutId(d) as T);
  }
  return out;
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
