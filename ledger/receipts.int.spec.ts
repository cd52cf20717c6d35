// Two writers of one ledger (two ingest instances) while their receipt store is unreachable: MongoDB
// (FerretDB) is reached through a TCP proxy that the test cuts, so the outage is real for the clients
// while the shared server keeps running. With the default 'refuse', no retry and no new event can
// become a second copy; with 'accept-single-instance', one instance keeps accepting and records the
// receipts once the store is back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testEnv, runId } from '../test/serverEnv.js';
import { createTestTopics, type TestTopics } from '../test/harness/topics.js';
import { readTopic } from '../test/harness/ledger.js';
import { startTcpProxy, viaProxy, type TcpProxy } from '../test/harness/tcpProxy.js';
import { dropTestDatabase } from '../test/harness/databases.js';
import { createKafka, partitionCount } from '../adapters/kafka.js';
import { connectMongo, type MongoHandle } from '../adapters/mongo.js';
import { createLogger } from '../adapters/logger.js';
import { given, day } from '../contracts/consent/fixtures.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { DomainError } from '../contracts/domainError.js';
import { openLedgerAppender } from './appender.js';
import { appendOnce, contentHash, type LedgerAppender } from './appendOnce.js';
import type { StoreOutage } from './receipts.js';

const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `receipts-outage-${runId}` });
const db = `receipts_outage_${runId}`;
const subject = `sub_receiptsOutage${runId}`;
const event = (n: number): LedgerEvent => given(`${subject}.e${n}`, day(n), { subject });
let topics: TestTopics;
let proxy: TcpProxy;
const opened: { close(): Promise<void> }[] = [];
let direct: MongoHandle;

async function instance(storeOutage?: StoreOutage): Promise<LedgerAppender> {
  const mongo = await connectMongo({
    url: viaProxy(testEnv.MONGO_URL, proxy.port),
    db,
    serverSelectionTimeoutMs: 1000,
  });
  const appender = await openLedgerAppender({
    kafka,
    db: mongo.db,
    owner: randomUUID(),
    log: createLogger('receipts-outage-test', 'silent'),
    topic: topics.names.ledger,
    partitions: await partitionCount(kafka, topics.names.ledger),
    ...(storeOutage && { storeOutage }),
  });
  opened.push(appender, mongo);
  return appender;
}

const refused = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (err: unknown) => (err instanceof DomainError ? err.code : `threw ${(err as Error).message}`),
  );

/** As a client retries after a 503: again until the store answers (an instance skips it for 2 s after a failure). */
async function retried<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'unavailable') || i >= 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function copiesOnLedger(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const r of await readTopic(kafka, topics.names.ledger)) {
    const id = (JSON.parse(r.value.toString()) as LedgerEvent).id;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

describe('receipts while the store is unreachable, two writers', () => {
  beforeAll(async () => {
    topics = await createTestTopics(kafka, `receipts-outage-${runId}`);
    proxy = await startTcpProxy(18611, new URL(testEnv.MONGO_URL).hostname, Number(new URL(testEnv.MONGO_URL).port));
    direct = await connectMongo({ url: testEnv.MONGO_URL, db });
  });
  afterAll(async () => {
    await proxy.restore().catch(() => undefined);
    for (const o of opened.reverse()) await o.close().catch(() => undefined);
    await proxy.close();
    await dropTestDatabase(direct.db);
    await direct.close();
  });

  it("'refuse' (default): a retry at the other instance and a new event are refused; once back, the same receipt", async () => {
    const [a, b] = await Promise.all([instance(), instance()]);
    const [first] = await appendOnce(a, [event(1)]);
    await proxy.cut();
    expect(await refused(appendOnce(b, [event(1)]))).toBe('unavailable'); // the retry went elsewhere
    expect(await refused(appendOnce(a, [event(2)]))).toBe('unavailable'); // a new id: cannot be claimed
    const [fromMemory] = await appendOnce(a, [event(1)]); // this instance knows it wrote it
    expect(fromMemory).toMatchObject({ replayed: true, position: first!.position });
    expect(await a.receipts.acceptsWrites()).toBe(false); // not ready: a load balancer sends writes elsewhere
    await proxy.restore();
    const [again] = await retried(() => appendOnce(b, [event(1)]));
    expect(again).toMatchObject({ replayed: true, position: first!.position });
    const [second] = await retried(() => appendOnce(b, [event(2)]));
    expect(second!.replayed).toBe(false);
    expect(await a.receipts.acceptsWrites()).toBe(true);
    const copies = await copiesOnLedger();
    expect([copies.get(event(1).id), copies.get(event(2).id)]).toEqual([1, 1]);
  });

  it("'accept-single-instance': the one instance accepts during the outage and records the receipts afterwards", async () => {
    const a = await instance('accept-single-instance');
    await proxy.cut();
    const [during] = await appendOnce(a, [event(3)]);
    expect(during!.replayed).toBe(false);
    const [retry] = await appendOnce(a, [event(3)]);
    expect(retry).toMatchObject({ replayed: true, position: during!.position });
    await proxy.restore();
    // Recorded once the store is back: another instance started now replays it.
    const later = await instance();
    for (let i = 0; i < 50; i++) {
      const stored = await later.receipts.get(event(3).id).catch(() => undefined);
      if (stored) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const [elsewhere] = await appendOnce(later, [event(3)]);
    expect(elsewhere).toMatchObject({ replayed: true, position: during!.position });
    expect((await copiesOnLedger()).get(event(3).id)).toBe(1);
  });

  it('a receipt stored in the earlier layout (position and event as documents) still answers its retry', async () => {
    const a = await instance();
    const old = event(9);
    const position = {
      eventId: old.id,
      topic: topics.names.ledger,
      partition: 0,
      offset: '41',
      hash: 'ab',
      recordedAt: old.recordedtime,
    };
    await direct.db.collection('ingest_receipts').insertOne({
      _id: old.id as never,
      source: old.source,
      contentHash: contentHash(old),
      state: 'pending',
      owner: 'an earlier instance',
      claimedAt: Date.now() - 60_000,
    });
    await direct.db.collection('ingest_receipts_written').insertOne({ _id: old.id as never, position, event: old });
    const [retry] = await appendOnce(a, [old]);
    expect(retry).toMatchObject({ replayed: true, position, event: { id: old.id, subject } });
    expect(await a.receipts.get(old.id)).toMatchObject({ position, event: { id: old.id } });
    expect((await copiesOnLedger()).get(old.id)).toBeUndefined(); // nothing new written
  });
});
