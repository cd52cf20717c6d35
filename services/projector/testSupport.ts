// Shared set-up of the projector's integration tests and bench: own topics, own database, a ledger
// writer on the test topic, and "wait until the projection has applied everything on the ledger".
import { createIdempotentProducer, createKafka, partitionCount, type Kafka, type Producer } from '../../adapters/kafka.js';
import { connectMongo, type MongoHandle } from '../../adapters/mongo.js';
import { LedgerWriter } from '../../ledger/writer.js';
import { createTestTopics, type TestTopics } from '../../test/harness/topics.js';
import { testEnv } from '../../test/serverEnv.js';
import type { ProjectionReader } from '../../projections/reader.js';
import { dropTestDatabase } from '../../test/harness/databases.js';

export interface ProjectorTestBed {
  kafka: Kafka;
  topics: TestTopics;
  producer: Producer;
  writer: LedgerWriter;
  mongo: MongoHandle;
  /** Environment for the projector process / rebuild CLI. */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function projectorTestBed(tag: string, port: number): Promise<ProjectorTestBed> {
  const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `projector-test-${tag}` });
  const topics = await createTestTopics(kafka, tag);
  const producer = createIdempotentProducer(kafka);
  await producer.connect();
  const writer = new LedgerWriter(producer, { topic: topics.names.ledger, partitions: await partitionCount(kafka, topics.names.ledger) });
  const db = `projector_test_${tag.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const mongo = await connectMongo({ url: testEnv.MONGO_URL, db });
  const env = { ...topics.env, MONGO_DB: db, PROJECTOR_PORT: String(port), PROJECTOR_GROUP_ID: `projector-${tag}`, LOG_LEVEL: 'info' };
  return {
    kafka, topics, producer, writer, mongo, env,
    close: async () => {
      await producer.disconnect();
      await dropTestDatabase(mongo.db);
      await mongo.close();
    },
  };
}

/** The ledger topic's end offsets (partition → next offset to be written). */
export async function endOffsets(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
}

/** Wait until the projection has applied every record now on the ledger topic. */
export async function caughtUp(kafka: Kafka, topic: string, reader: ProjectionReader, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const [partition, end] of await endOffsets(kafka, topic)) {
    if (end === 0n) continue;
    const ok = await reader.waitForOffset(partition, (end - 1n).toString(), Math.max(1, deadline - Date.now()));
    if (!ok) throw new Error(`projection did not reach offset ${end - 1n} on partition ${partition} in ${timeoutMs} ms`);
  }
}
