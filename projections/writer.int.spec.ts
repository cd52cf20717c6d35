// The projection writer against the test stack's FerretDB: what it stores is the contracts' fold, and
// a stale idea of which documents exist (KnownIds) costs a retry, never a lost event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, type MongoHandle } from '../adapters/mongo.js';
import { testEnv, runId } from '../test/serverEnv.js';
import { effective, given, withdrawn } from '../contracts/consent/fixtures.js';
import { foldEvents } from '../contracts/consent/fold.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import type { LedgerRecord } from '../ledger/reader.js';
import { generation } from './generation.js';
import { applyRecords, loadKnownIds } from './writer.js';
import { projectionReader } from './reader.js';
import { dropTestDatabase } from '../test/harness/databases.js';

const subject = `sub_writer${runId}_0001`;
let offset = 0;
const record = (event: LedgerEvent): LedgerRecord => ({ event, partition: 3, offset: String(offset++), headers: {} });

describe('projection writer', () => {
  let mongo: MongoHandle;
  beforeAll(async () => {
    mongo = await connectMongo({ url: testEnv.MONGO_URL, db: `projector_writer_${runId}` });
  });
  afterAll(async () => {
    if (mongo) await dropTestDatabase(mongo.db);
    await mongo?.close();
  });

  it('an insert that collides with a document it did not know of folds onto the stored one', async () => {
    const g = generation(mongo.db, 'gwriter');
    const first = [record(given(`${runId}.c`, 1, { subject })), record(effective(`${runId}.c`, 15, { subject }))];
    expect(await applyRecords(g, first, await loadKnownIds(g))).toMatchObject({ subjectsWritten: 1 });
    const later = [record(withdrawn(`${runId}.w`, 20, { subject }))];
    // A stale set (e.g. another instance inserted the subject meanwhile): the insert collides, is folded again.
    expect(await applyRecords(g, later, { subjects: new Set(), dataUsers: new Set() })).toMatchObject({
      subjectsWritten: 1,
    });
    const expected = foldEvents(
      [...first, ...later].map((r) => ({ event: r.event, position: { partition: r.partition, offset: r.offset } })),
    );
    expect(await projectionReader(mongo.db, { generation: 'gwriter' }).subject(subject)).toEqual(expected);
    // Applying everything again changes nothing (re-delivery).
    expect(await applyRecords(g, [...first, ...later], await loadKnownIds(g))).toMatchObject({ subjectsWritten: 0 });
    expect((await loadKnownIds(g)).subjects).toEqual(new Set([subject]));
  });

  it("a document in the earlier layout (the state's fields, not its JSON text) is read and folded onto", async () => {
    const g = generation(mongo.db, 'glayout');
    const old = `sub_writer${runId}_0002`;
    const first = [record(given(`${runId}.o`, 1, { subject: old }))];
    const positioned = (rs: LedgerRecord[]) =>
      rs.map((r) => ({ event: r.event, position: { partition: r.partition, offset: r.offset } }));
    await g.subjects.insertOne({ _id: old, ...foldEvents(positioned(first)) });
    const reader = projectionReader(mongo.db, { generation: 'glayout' });
    expect(await reader.subject(old)).toEqual(foldEvents(positioned(first)));
    const later = [record(effective(`${runId}.o`, 15, { subject: old }))];
    expect(await applyRecords(g, later, await loadKnownIds(g))).toMatchObject({ subjectsWritten: 1 });
    expect(await reader.subject(old)).toEqual(foldEvents(positioned([...first, ...later])));
    expect(await g.subjects.findOne({ _id: old })).toEqual({ _id: old, json: expect.any(String) as string });
  });
});
