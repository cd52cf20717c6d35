// Shared set-up of the projector's integration tests and bench: own topics, own database, a ledger
// writer on the test topic, and "wait until the projection has applied everything on the ledger".
import {
  createIdempotentProducer,
  createKafka,
  partitionCount,
  type Kafka,
  type Producer,
} from '../../adapters/kafka.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connectMongo, type Db, type MongoHandle } from '../../adapters/mongo.js';
import { generation, subjectOfStored } from '../../projections/generation.js';
import { LedgerWriter } from '../../ledger/writer.js';
import { createTestTopics, type TestTopics } from './topics.js';
import { testEnv } from '../serverEnv.js';
import type { ProjectionReader } from '../../projections/reader.js';
import { dropTestDatabase } from './databases.js';

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
  const writer = new LedgerWriter(producer, {
    topic: topics.names.ledger,
    partitions: await partitionCount(kafka, topics.names.ledger),
  });
  const db = `projector_test_${tag.replace(/[^A-Za-z0-9_-]/g, '_')}`;
  const mongo = await connectMongo({ url: testEnv.MONGO_URL, db });
  const env = {
    ...topics.env,
    MONGO_DB: db,
    PROJECTOR_PORT: String(port),
    PROJECTOR_GROUP_ID: `projector-${tag}`,
    LOG_LEVEL: 'info',
  };
  return {
    kafka,
    topics,
    producer,
    writer,
    mongo,
    env,
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
export async function caughtUp(
  kafka: Kafka,
  topic: string,
  reader: ProjectionReader,
  timeoutMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const [partition, end] of await endOffsets(kafka, topic)) {
    if (end === 0n) continue;
    const ok = await reader.waitForOffset(partition, (end - 1n).toString(), Math.max(1, deadline - Date.now()));
    if (!ok)
      throw new Error(`projection did not reach offset ${end - 1n} on partition ${partition} in ${timeoutMs} ms`);
  }
}

/** What the rebuild CLI prints as its last line (services/projector/rebuildCli.ts). */
export interface RebuildSummary {
  generation: string;
  previous: string;
  records: number;
  droppedOrphan?: string;
}

/** Run the rebuild CLI as an operator would, in its own process (so a test can also SIGKILL one). */
export async function runRebuild(env: Record<string, string>, ...args: string[]): Promise<RebuildSummary> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'services/projector/rebuildCli.ts', '--quiet', ...args],
    {
      env: { ...process.env, ...env },
      timeout: 200_000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').pop()!) as RebuildSummary;
}

/** A generation's documents in _id order (progress without its timestamp), to compare two generations. */
export async function generationDocuments(db: Db, name: string) {
  const g = generation(db, name);
  const byId = (a: { _id?: unknown }, b: { _id?: unknown }) => (String(a._id) < String(b._id) ? -1 : 1);
  return {
    subjects: (await g.subjects.find({}).toArray()).map(subjectOfStored).sort(byId),
    fingerprints: (await g.fingerprints.find({}).toArray()).sort(byId),
    dataUsers: (await g.dataUsers.find({}).toArray()).sort(byId),
    progress: (await g.progress.find({}).project({ updatedAt: 0 }).toArray()).sort(byId),
  };
}
