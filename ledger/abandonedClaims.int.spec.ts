// A writer killed between claiming an event and recording its receipt (an ingest instance SIGKILLed
// mid-request): the client's retry reaches another instance, which finds the abandoned claim. Whether
// the event reached Kafka, only the ledger knows: the retry must replay it when it did (no second copy)
// and write it when it did not (no lost event). The other instance's clock runs STALE_CLAIM_MS ahead,
// so the claim is stale without waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { testEnv, runId } from '../test/serverEnv.js';
import { createTestTopics, type TestTopics } from '../test/harness/topics.js';
import { readTopic } from '../test/harness/ledger.js';
import { dropTestDatabase } from '../test/harness/databases.js';
import { createKafka, partitionCount } from '../adapters/kafka.js';
import { connectMongo, type MongoHandle } from '../adapters/mongo.js';
import { createLogger } from '../adapters/logger.js';
import { given, day } from '../contracts/consent/fixtures.js';
import type { LedgerEvent } from '../contracts/consent/events.js';
import { DomainError } from '../contracts/domainError.js';
import { openLedgerAppender } from './appender.js';
import { appendOnce, claimOf, type LedgerAppender } from './appendOnce.js';
import { ReceiptStore, STALE_CLAIM_MS } from './receipts.js';
import { recordedSinceOn } from './recordedSince.js';

const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `abandoned-claims-${runId}` });
const subject = `sub_abandonedClaim${runId}`;
const event = (n: number): LedgerEvent => given(`${subject}.e${n}`, day(n), { subject });
let topics: TestTopics;
let mongo: MongoHandle;
let killed: LedgerAppender & { close(): Promise<void> };
let survivor: LedgerAppender & { close(): Promise<void> };

/** As a client retries a 503 (the survivor answers 'unavailable' while it searches the ledger). */
async function retried<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'unavailable') || i >= 80) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

async function copies(id: string): Promise<number> {
  const records = await readTopic(kafka, topics.names.ledger);
  return records.filter((r) => (JSON.parse(r.value.toString()) as LedgerEvent).id === id).length;
}

/** What the killed instance did before it died: claimed the event, and (when `sent`) had Kafka ack it. */
async function killedAfter(e: LedgerEvent, sent: boolean): Promise<void> {
  const [claim] = await killed.receipts.claimAll([claimOf(e)]);
  expect(claim).toEqual({ kind: 'claimed' });
  if (sent) await killed.writer.appendAll([e]);
}

describe('a claim abandoned by a killed writer, retried at another instance', () => {
  beforeAll(async () => {
    topics = await createTestTopics(kafka, `abandoned-claims-${runId}`);
    mongo = await connectMongo({ url: testEnv.MONGO_URL, db: `abandoned_claims_${runId}` });
    const settings = {
      kafka,
      db: mongo.db,
      log: createLogger('abandoned-claims-test', 'silent'),
      topic: topics.names.ledger,
      partitions: await partitionCount(kafka, topics.names.ledger),
    };
    killed = await openLedgerAppender({ ...settings, owner: randomUUID() });
    const later = await openLedgerAppender({ ...settings, owner: randomUUID() });
    const receipts = new ReceiptStore(mongo.db, randomUUID(), {
      findRecorded: recordedSinceOn(kafka, topics.names.ledger, settings.partitions),
      now: () => Date.now() + STALE_CLAIM_MS + 1000,
    });
    survivor = { writer: later.writer, receipts, close: () => later.close() };
  });
  afterAll(async () => {
    await killed?.close();
    await survivor?.close();
    if (mongo) {
      await dropTestDatabase(mongo.db);
      await mongo.close();
    }
  });

  it('acknowledged by Kafka before the kill: the retry replays the record found on the ledger, no second copy', async () => {
    const e = event(1);
    await killedAfter(e, true);
    const [retry] = await retried(() => appendOnce(survivor, [e]));
    expect(retry!.replayed).toBe(true);
    expect(retry!.event.id).toBe(e.id);
    expect(await copies(e.id)).toBe(1);
  });

  it('the time a request derived (a release sent without occurredAt) is read back from the claim, so its retry derives the same and replays', async () => {
    const e = event(3);
    await killedAfter(e, true);
    // No receipt yet: the killed instance never recorded it. The retry's occurredAtFor reads the claim.
    expect(await survivor.receipts.get(e.id)).toBeUndefined();
    expect(await survivor.receipts.claimedOccurredAt(e.id)).toBe(e.data.occurredAt);
    const [retry] = await retried(() => appendOnce(survivor, [e]));
    expect(retry!.replayed).toBe(true);
    expect(await survivor.receipts.claimedOccurredAt(e.id)).toBe(e.data.occurredAt);
    expect(await survivor.receipts.claimedOccurredAt(`${e.id}.never-claimed`)).toBeUndefined();
    expect(await copies(e.id)).toBe(1);
  });

  it('killed before Kafka had it: the retry writes it, once', async () => {
    const e = event(2);
    await killedAfter(e, false);
    const [retry] = await retried(() => appendOnce(survivor, [e]));
    expect(retry!.replayed).toBe(false);
    expect(await copies(e.id)).toBe(1);
  });
});
