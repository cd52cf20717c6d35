// The rebuild lease against the test stack's FerretDB: one rebuild at a time; a dead holder's
// half-built generation is dropped by the next rebuild, a live holder's never.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { connectMongo, type MongoHandle } from '../adapters/mongo.js';
import { testEnv, runId } from '../test/serverEnv.js';
import { dropTestDatabase } from '../test/harness/databases.js';
import { META_COLLECTION, generation } from './generation.js';
import { LEASE_STALE_MS, RebuildRunning, takeRebuildLease } from './rebuildLease.js';

describe('rebuild lease', () => {
  let mongo: MongoHandle;
  beforeAll(async () => {
    mongo = await connectMongo({ url: testEnv.MONGO_URL, db: `rebuild_lease_${runId}` });
  });
  afterAll(async () => {
    if (mongo) await dropTestDatabase(mongo.db);
    await mongo?.close();
  });

  const collections = async (g: string) =>
    (await mongo.db.listCollections({}, { nameOnly: true }).toArray()).filter((c) =>
      c.name.startsWith(`projection_${g}_`),
    ).length;
  const halfBuild = async (g: string) => {
    await generation(mongo.db, g).subjects.insertOne({ _id: 'sub_x' } as never);
    await generation(mongo.db, g).progress.insertOne({ _id: 0, next: '5', updatedAt: new Date() });
  };

  it('a second rebuild is refused while the first holds the lease; after release it may run', async () => {
    const first = await takeRebuildLease(mongo.db, 'gfirst');
    await expect(takeRebuildLease(mongo.db, 'gsecond')).rejects.toBeInstanceOf(RebuildRunning);
    await first.release();
    const second = await takeRebuildLease(mongo.db, 'gsecond');
    expect(second.dropped).toBeUndefined();
    await second.release();
  });

  it('a lease whose process is gone: its half-built generation is dropped and the lease taken', async () => {
    await halfBuild('gdead');
    // A pid that cannot exist on Linux (above pid_max's ceiling) stands for a killed rebuild.
    await mongo.db.collection(META_COLLECTION).insertOne({
      _id: 'rebuilding',
      generation: 'gdead',
      host: hostname(),
      pid: 4_194_304 + 1,
      renewedAt: Date.now(),
    } as never);
    expect(await collections('gdead')).toBe(2);
    const lease = await takeRebuildLease(mongo.db, 'gnext');
    expect(lease.dropped).toBe('gdead');
    expect(await collections('gdead')).toBe(0);
    await lease.release();
  });

  it('a lease from another host is taken over only once it has not been renewed for a while', async () => {
    await halfBuild('gremote');
    const lease = { _id: 'rebuilding', generation: 'gremote', host: 'another-host', pid: 1, renewedAt: Date.now() };
    await mongo.db.collection(META_COLLECTION).insertOne(lease as never);
    await expect(takeRebuildLease(mongo.db, 'gmine')).rejects.toBeInstanceOf(RebuildRunning);
    expect(await collections('gremote')).toBe(2);
    const later = () => Date.now() + LEASE_STALE_MS + 1;
    const taken = await takeRebuildLease(mongo.db, 'gmine', later);
    expect(taken.dropped).toBe('gremote');
    await taken.release();
  });
});
