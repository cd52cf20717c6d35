// Concurrent updates of one document through the MongoDB wire, against whichever backend the stack runs
// FerretDB on (MONGO_BACKEND, README "MongoDB wire compatibility"): is any update lost?
// FerretDB 1.x loses them on both backends: its update reads the document, applies the operators in Go
// and writes the whole document back by _id in a separate statement, with nothing making the read and
// the write one step. Measured 2026-12-02 (48 updates per document, 4 documents): $inc left 1–19 of 48 on
// SQLite and 10–41 on PostgreSQL (two runs); of 48 fields $set, 37–44 (SQLite) and 4–46 (PostgreSQL)
// were missing.
// So both cases are marked as failing (it.fails keeps the suite green and turns red the day a store
// stops losing updates: then make them plain `it`). The code works around it with insert-only documents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type MongoHandle } from './mongo.js';
import { testEnv, runId } from '../test/serverEnv.js';
import { dropTestDatabase } from '../test/harness/databases.js';

// Several clients, so the updates arrive on separate connections (the server handles each on its own),
// and several documents, so one lucky interleaving does not hide a lost update.
const CLIENTS = 4;
const DOCUMENTS = 4;
const UPDATES_PER_DOCUMENT = 48;

interface Counter {
  _id: string;
  count: number;
}
type WithFields = { _id: string } & Record<string, unknown>;

describe('concurrent updates of one document (FerretDB, either backend)', () => {
  const db = `concurrency_test_${runId}`;
  let clients: MongoHandle[];
  beforeAll(async () => {
    clients = await Promise.all(Array.from({ length: CLIENTS }, () => connectMongo({ url: testEnv.MONGO_URL, db })));
  });
  afterAll(async () => {
    await dropTestDatabase(client(0).db);
    await Promise.all(clients.map((c) => c.close()));
  });

  const client = (i: number): MongoHandle => {
    const c = clients[i % CLIENTS];
    if (!c) throw new Error(`no client ${i % CLIENTS}`);
    return c;
  };
  const counters = (i: number) => client(i).db.collection<Counter>('counters');
  const withFields = (i: number) => client(i).db.collection<WithFields>('fields');
  const ids = Array.from({ length: DOCUMENTS }, (_, d) => `doc-${d}`);

  it.fails(`${UPDATES_PER_DOCUMENT} concurrent $inc of one document: none lost`, async () => {
    await counters(0).insertMany(ids.map((_id) => ({ _id, count: 0 })));
    const updates = ids.flatMap((_id) =>
      Array.from({ length: UPDATES_PER_DOCUMENT }, (_, i) => counters(i).updateOne({ _id }, { $inc: { count: 1 } })),
    );
    const results = await Promise.all(updates);
    expect(results.every((r) => r.modifiedCount === 1)).toBe(true);
    const docs = await counters(0)
      .find({ _id: { $in: ids } })
      .toArray();
    const counts = Object.fromEntries(docs.map((d) => [d._id, d.count]));
    expect(counts).toEqual(Object.fromEntries(ids.map((id) => [id, UPDATES_PER_DOCUMENT])));
  });

  it.fails(
    `${UPDATES_PER_DOCUMENT} concurrent $set of different fields of one document: every field present`,
    async () => {
      const fieldIds = ids.map((id) => `${id}-fields`);
      await withFields(0).insertMany(fieldIds.map((_id) => ({ _id, count: 0 })));
      const field = (i: number) => `f${i}`;
      const updates = fieldIds.flatMap((_id) =>
        Array.from({ length: UPDATES_PER_DOCUMENT }, (_, i) =>
          withFields(i).updateOne({ _id }, { $set: { [field(i)]: i } }),
        ),
      );
      await Promise.all(updates);
      // Per document, how many of the fields set are missing (0 each when no update was lost).
      const docs = await withFields(0)
        .find({ _id: { $in: fieldIds } })
        .toArray();
      const missing = Object.fromEntries(
        docs.map((d) => [
          d._id,
          Array.from({ length: UPDATES_PER_DOCUMENT }, (_, i) => d[field(i)] === i).filter((ok) => !ok).length,
        ]),
      );
      expect(missing).toEqual(Object.fromEntries(fieldIds.map((id) => [id, 0])));
    },
  );
});
