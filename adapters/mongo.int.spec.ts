import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMongo, isDuplicateKey, type MongoHandle } from './mongo.js';
import { testEnv, runId } from '../test/serverEnv.js';
import { dropTestDatabase } from '../test/harness/databases.js';

describe('Mongo adapter against the MongoDB-wire server (FerretDB)', () => {
  let mongo: MongoHandle;
  beforeAll(async () => {
    mongo = await connectMongo({ url: testEnv.MONGO_URL, db: `adapter_test_${runId}` });
  });
  afterAll(async () => {
    await dropTestDatabase(mongo.db);
    await mongo.close();
  });

  it('insert, unique-index violation, upsert and find', async () => {
    const subjects = mongo.db.collection<{ _id: string; org: string; ref: string; n?: number }>('subjects');
    await subjects.createIndexes([{ key: { org: 1, ref: 1 }, unique: true }]);
    await subjects.insertOne({ _id: 's1', org: 'rxh', ref: 'r1' });

    const dup = await subjects.insertOne({ _id: 's2', org: 'rxh', ref: 'r1' }).catch((e: unknown) => e);
    expect(isDuplicateKey(dup)).toBe(true);

    await subjects.updateOne({ _id: 's3' }, { $set: { org: 'rxh', ref: 'r3' }, $inc: { n: 1 } }, { upsert: true });
    await subjects.updateOne({ _id: 's3' }, { $inc: { n: 1 } }, { upsert: true });

    const found = await subjects.find({ org: 'rxh' }).sort({ _id: 1 }).toArray();
    expect(found).toEqual([
      { _id: 's1', org: 'rxh', ref: 'r1' },
      { _id: 's3', org: 'rxh', ref: 'r3', n: 2 },
    ]);
  });

  it('an update that collides with a unique index is recognised as a duplicate too', async () => {
    const c = mongo.db.collection<{ _id: string; k: string }>('collide');
    await c.createIndexes([{ key: { k: 1 }, unique: true }]);
    await c.insertMany([
      { _id: 'a', k: 'x' },
      { _id: 'b', k: 'y' },
    ]);
    const err = await c.updateOne({ _id: 'b' }, { $set: { k: 'x' } }).catch((e: unknown) => e);
    expect(isDuplicateKey(err)).toBe(true);
    expect(await c.findOne({ _id: 'b' })).toEqual({ _id: 'b', k: 'y' });
  });
});
