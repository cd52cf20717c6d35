// A batch whose handler runs longer than the consumer's session timeout (a slow store under load): the
// member must stay in its group, commit the batch and go on reading. Before the reader heartbeated
// while a handler ran, Kafka removed the member mid-batch, refused its commit, and the consumer
// crashed for good (the projector stopped: withdrawals then waited for holders never determined).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv, runId } from '../test/serverEnv.js';
import { createTestTopics, type TestTopics } from '../test/harness/topics.js';
import {
  createKafka,
  createIdempotentProducer,
  partitionCount,
  partitionForKey,
  type Consumer,
} from '../adapters/kafka.js';
import { createLogger } from '../adapters/logger.js';
import { given, day } from '../contracts/consent/fixtures.js';
import { startLedgerReader } from './reader.js';

const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `ledger-reader-${runId}` });
const subject = `sub_slowBatch${runId}`;
// Kafka's smallest session timeout (group.min.session.timeout.ms); the first batch takes 2.5 times as long.
const SESSION_MS = 6_000;
const SLOW_MS = 15_000;
let topics: TestTopics;
let consumer: Consumer | undefined;
const producer = createIdempotentProducer(kafka);

async function append(n: number) {
  const e = given(`${subject}.e${n}`, day(n), { subject });
  await producer.send({ topic: topics.names.ledger, acks: -1, messages: [{ key: subject, value: JSON.stringify(e) }] });
  return e.id;
}

describe('a ledger reader whose batch outlasts the session timeout', () => {
  beforeAll(async () => {
    topics = await createTestTopics(kafka, `ledger-reader-${runId}`);
    await producer.connect();
  });
  afterAll(async () => {
    await consumer?.disconnect();
    await producer.disconnect();
  });

  it('stays in the group, commits the slow batch and reads on', { timeout: 60_000 }, async () => {
    const handled: string[] = [];
    const commits: string[] = [];
    const crashes: string[] = [];
    let slow = true;
    const first = await append(1);
    consumer = await startLedgerReader(kafka, {
      groupId: `ledger-reader-${runId}`,
      topic: topics.names.ledger,
      sessionTimeoutMs: SESSION_MS,
      log: createLogger('ledger-reader-test', 'warn'),
      handle: async (records) => {
        if (slow) {
          slow = false;
          await new Promise((r) => setTimeout(r, SLOW_MS));
        }
        handled.push(...records.map((r) => r.event.id));
      },
      committed: (_partition, next) => {
        commits.push(next);
      },
    });
    consumer.on(consumer.events.CRASH, (e) => crashes.push(e.payload.error.message));
    await waitFor(() => commits.length >= 1, 30_000);
    const second = await append(2);
    await waitFor(() => handled.includes(second), 20_000);
    // The commit follows the handler: wait for it too (asserting at once raced it on a loaded machine).
    await waitFor(() => commits.includes('2'), 20_000);

    expect(crashes).toEqual([]);
    // Each event handled once: the slow batch was committed, not re-delivered after a re-join.
    expect(handled).toEqual([first, second]);
    expect(commits.at(-1)).toBe('2');
  });
});

describe("a ledger reader handling several partitions at once (the dispatcher's propagation lane)", () => {
  let parallel: Consumer | undefined;
  let own: TestTopics;
  const writer = createIdempotentProducer(kafka);
  beforeAll(async () => {
    own = await createTestTopics(kafka, `ledger-reader-parallel-${runId}`);
    await writer.connect();
  });
  afterAll(async () => {
    await parallel?.disconnect();
    await writer.disconnect();
  });

  it(
    "hands out one fetch's batches together: two partitions' handlers run at the same time",
    { timeout: 60_000 },
    async () => {
      // Two subjects on different partitions, on the topic before the reader starts (so in its first fetch).
      // Each one's handler waits until the other's has started: one partition at a time (the default),
      // the first would wait for ever (longer than the test waits: a handler that gave up would crash the
      // consumer, and its restart could hand out the other batch first).
      const partitions = await partitionCount(kafka, own.names.ledger);
      const first = `sub_barrierA${runId}`;
      let second = `sub_barrierB${runId}`;
      for (let i = 0; partitionForKey(second, partitions) === partitionForKey(first, partitions); i++)
        second = `sub_barrierB${runId}x${i}`;
      const ids = await Promise.all(
        [first, second].map(async (s) => {
          const e = given(`${s}.e1`, day(1), { subject: s });
          await writer.send({ topic: own.names.ledger, acks: -1, messages: [{ key: s, value: JSON.stringify(e) }] });
          return e.id;
        }),
      );
      const entered = new Set<string>();
      const handled: string[] = [];
      parallel = await startLedgerReader(kafka, {
        groupId: `ledger-reader-parallel-${runId}`,
        topic: own.names.ledger,
        partitionsConcurrently: partitions,
        log: createLogger('ledger-reader-test', 'warn'),
        handle: async (records) => {
          for (const r of records) entered.add(r.event.subject);
          await waitFor(() => entered.has(first) && entered.has(second), 55_000);
          handled.push(...records.map((r) => r.event.id));
        },
      });
      await waitFor(() => ids.every((id) => handled.includes(id)), 40_000);
      expect([...handled].sort()).toEqual([...ids].sort());
    },
  );
});

async function waitFor(done: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
