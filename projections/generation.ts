// Where the projections live. A projection is a *generation* of four collections — subject states, their
// fingerprints, data users and per-partition progress — and one small document, `projection_meta/active`,
// names the generation every reader and the live projector use. A rebuild fills a fresh generation from
// offset 0 and switches over with ONE update of that document (atomic on any MongoDB-wire server, no
// transaction needed), then drops the old collections. Before the first switch the generation is
// INITIAL_GENERATION, so a new database needs no set-up.
import { fromJsonText, isJsonText, toJsonText, type Collection, type Db, type JsonTextDoc } from '../adapters/mongo.js';
import type { SubjectState } from '../contracts/consent/fold.js';
import type { DataUserRecord } from '../contracts/consent/dataUsers.js';

const INITIAL_GENERATION = 'g0';
export const META_COLLECTION = 'projection_meta';

/** A subject's state keyed by subject: the contracts' SubjectState (plain JSON). */
export type SubjectDoc = SubjectState & { _id: string };
/** How a subject's state is stored: its JSON text (adapters/mongo.ts#toJsonText). Documents written
 *  before hold the state's fields themselves; both are read. */
export type StoredSubjectDoc = JsonTextDoc | SubjectDoc;

export const storedSubject = ({ _id, ...state }: SubjectDoc): StoredSubjectDoc => toJsonText(_id, state);

export const subjectOfStored = (doc: StoredSubjectDoc): SubjectDoc =>
  isJsonText(doc) ? { _id: doc._id, ...(fromJsonText(doc) as SubjectState) } : doc;

/** The state's JSON text (what JSON.parse turns into the SubjectState), in either layout. */
export const subjectTextOfStored = (doc: StoredSubjectDoc): string =>
  isJsonText(doc) ? doc.json : JSON.stringify(withoutId(doc));

/** A subject state's fingerprint (contracts/consent/fingerprint.ts), written before the state itself, and
 *  `last`, the highest ledger offset among its records: what the audit replay compares in bulk. */
export interface FingerprintDoc {
  _id: string;
  fingerprint: string;
  last: string;
}
/** A data user as stored: contracts' DataUserRecord keyed by its id. */
export type DataUserDoc = DataUserRecord & { _id: string };
/** Everything before `next` on `partition` is projected (offset as a decimal string). */
export interface ProgressDoc {
  _id: number;
  next: string;
  updatedAt: Date;
}

export interface MetaDoc {
  _id: 'active';
  generation: string;
  /** The generation it replaced, and whether the rebuild has dropped it (a projector batch that was
   *  still writing to it at the switch may recreate its collections: the projector drops them then). */
  previous?: string;
  previousDropped?: boolean;
  switchedAt?: Date;
}

export interface Generation {
  readonly name: string;
  readonly subjects: Collection<StoredSubjectDoc>;
  readonly fingerprints: Collection<FingerprintDoc>;
  readonly dataUsers: Collection<DataUserDoc>;
  readonly progress: Collection<ProgressDoc>;
}

export function generation(db: Db, name: string): Generation {
  return {
    name,
    subjects: db.collection<StoredSubjectDoc>(`projection_${name}_subjects`),
    fingerprints: db.collection<FingerprintDoc>(`projection_${name}_fingerprints`),
    dataUsers: db.collection<DataUserDoc>(`projection_${name}_data_users`),
    progress: db.collection<ProgressDoc>(`projection_${name}_progress`),
  };
}

/** A fresh generation name; sortable by creation time. */
export function newGenerationName(now = Date.now()): string {
  return `g${now.toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export async function readMeta(db: Db): Promise<MetaDoc> {
  return (
    (await db.collection<MetaDoc>(META_COLLECTION).findOne({ _id: 'active' })) ?? {
      _id: 'active',
      generation: INITIAL_GENERATION,
    }
  );
}

export async function activeGenerationName(db: Db): Promise<string> {
  return (await readMeta(db)).generation;
}

/** Make `name` the active generation (one document write). Returns the generation it replaced. */
export async function switchGeneration(db: Db, name: string, now = new Date()): Promise<string> {
  const previous = await activeGenerationName(db);
  await db
    .collection<MetaDoc>(META_COLLECTION)
    .updateOne(
      { _id: 'active' },
      { $set: { generation: name, previous, previousDropped: false, switchedAt: now } },
      { upsert: true },
    );
  return previous;
}

/** Note in the meta document that the replaced generation is gone (see MetaDoc.previousDropped). */
export async function markPreviousDropped(db: Db, previous: string): Promise<void> {
  await db
    .collection<MetaDoc>(META_COLLECTION)
    .updateOne({ _id: 'active', previous }, { $set: { previousDropped: true } });
}

export async function dropGeneration(db: Db, name: string): Promise<void> {
  const g = generation(db, name);
  for (const c of [g.subjects, g.fingerprints, g.dataUsers, g.progress]) {
    await c.drop().catch((err: unknown) => {
      const e = err as { codeName?: string; code?: number };
      if (e.codeName !== 'NamespaceNotFound' && e.code !== 26) throw err;
    });
  }
}

/** Strip the storage key: what is left is exactly the contracts' value. */
export function withoutId<T extends { _id: unknown }>(doc: T): Omit<T, '_id'> {
  const { _id, ...rest } = doc;
  return rest;
}
