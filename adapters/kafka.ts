// The one module that knows the Kafka client library (kafkajs). Everything else uses these factories,
// so swapping to a KafkaJS-compatible client (@confluentinc/kafka-javascript) is a change here only.
import {
  Kafka,
  logLevel,
  Partitioners,
  type Producer,
  type Consumer,
  type Admin,
  type ConsumerConfig,
  type ITopicConfig,
  type LogEntry,
  type RecordMetadata,
  type KafkaMessage,
  type EachBatchPayload,
  type IHeaders,
  type Message,
  type PartitionMetadata,
} from 'kafkajs';
// The enum is on module.exports but not found by Node's CommonJS export detection: read it from the default.
import kafkajs from 'kafkajs';
import type { Logger } from './logger.js';

export type { Kafka };
export type { Producer, Consumer, Admin, RecordMetadata, KafkaMessage, EachBatchPayload, IHeaders };

export interface KafkaSettings {
  brokers: string[];
  clientId: string;
  /** Upper bound for one connection attempt and one request; keeps "Kafka down" answers bounded. */
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  retries?: number;
}

const levelName: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** Route kafkajs' own log lines into our JSON logger (no message payloads are ever in them). */
function logCreator(logger?: Logger) {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      if (!logger) return;
      const { message, ...rest } = log;
      logger[levelName[level] ?? 'info']({ kafka: namespace, ...rest }, message);
    };
}

export function createKafka(settings: KafkaSettings, logger?: Logger): Kafka {
  return new Kafka({
    clientId: settings.clientId,
    brokers: settings.brokers,
    connectionTimeout: settings.connectionTimeoutMs ?? 3000,
    requestTimeout: settings.requestTimeoutMs ?? 10000,
    retry: { retries: settings.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logLevel.WARN,
    logCreator: logCreator(logger),
  });
}

/**
 * The producer every ledger write uses: idempotent (the broker drops a retried batch it already has),
 * acks=all, Java-compatible murmur2 partitioning so every client puts a subject on the same partition.
 */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
}

/**
 * A producer for a log whose records carry their own id, where a duplicate after a retry is harmless
 * (the decision log): not idempotent, so several sends may be in flight at once. acks per send.
 */
export function createLogProducer(kafka: Kafka): Producer {
  return kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
}

/**
 * A transactional producer, for a log only one writer may extend (the sealer: one id per ledger
 * partition). Kafka fences by transactional id: a producer that initialises with the id gets a new
 * epoch, the broker aborts the older producer's open transaction (or completes a commit already
 * under way) and refuses everything that producer sends afterwards. Its records are visible to
 * read_committed readers (kafkajs' consumer default) only once committed; each transaction leaves a
 * commit or abort marker that takes an offset (ledger/scan.ts reads past them).
 */
export function createTransactionalProducer(kafka: Kafka, transactionalId: string, transactionTimeoutMs: number) {
  return kafka.producer({
    transactionalId,
    transactionTimeout: transactionTimeoutMs,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
}

/**
 * Take over the producer's transactional id now (kafkajs does it at the first transaction, not at
 * connect): from here on no earlier producer with the id can write, and whatever it had committed is
 * on the log. Then commits `mark` (a record readers skip): its offset is a point on that partition
 * after everything the earlier producers did. A read_committed reader that has passed the mark has
 * seen every transaction begun before it settle, including those of other writers of the partition.
 * (Committed rather than aborted: kafkajs' filter of aborted records mishandles several aborted
 * transactions that overlap on a partition — it takes the broker's list in its order, one per record —
 * so aborted transactions are kept to the rare fenced zombie.)
 */
export async function fenceAndMark(
  producer: Producer,
  topic: string,
  mark: Message,
): Promise<{ partition: number; offset: bigint }> {
  const txn = await producer.transaction();
  try {
    const [meta] = await txn.send({ topic, acks: -1, messages: [mark] });
    await txn.commit();
    const offset = meta?.baseOffset ?? meta?.offset;
    if (meta === undefined || offset === undefined) throw new Error(`no offset for the mark on ${topic}`);
    return { partition: meta.partition, offset: BigInt(offset) };
  } catch (err) {
    if (txn.isActive()) await txn.abort().catch(() => undefined);
    throw err;
  }
}

/** Send `messages` in one transaction and commit it; on any failure the transaction is aborted if it can be. */
export async function sendCommitted(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  const txn = await producer.transaction();
  try {
    await txn.send({ topic, acks: -1, messages });
    await txn.commit();
  } catch (err) {
    if (txn.isActive()) await txn.abort().catch(() => undefined);
    throw err;
  }
}

const FENCED_ERRORS = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

/** Whether a transactional producer's failure means another producer took its transactional id over. */
export function isFenced(err: unknown): boolean {
  for (let e = err as { type?: string; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as never, i++)
    if (e.type && FENCED_ERRORS.has(e.type)) return true;
  return false;
}

export function createConsumer(kafka: Kafka, config: ConsumerConfig): Consumer {
  return kafka.consumer({ allowAutoTopicCreation: false, ...config });
}

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  /** Kafka topic configs, e.g. retention.ms=-1, cleanup.policy=delete. */
  configs: Record<string, string>;
}

/**
 * Create missing topics; for existing ones, check the settings that matter for correctness
 * (partition count, cleanup policy, retention) and fail loudly if they differ — never silently alter
 * the ledger's retention.
 */
export async function ensureTopics(kafka: Kafka, specs: TopicSpec[]): Promise<{ created: string[] }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      const topics: ITopicConfig[] = missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: -1,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      }));
      await admin.createTopics({ topics, waitForLeaders: true });
    }
    const present = specs.filter((s) => existing.has(s.topic));
    if (present.length > 0) await checkTopics(admin, present);
    return { created: missing.map((s) => s.topic) };
  } finally {
    await admin.disconnect();
  }
}

async function checkTopics(admin: Admin, specs: TopicSpec[]): Promise<void> {
  const meta = await admin.fetchTopicMetadata({ topics: specs.map((s) => s.topic) });
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: specs.map((s) => ({
      type: kafkajs.ConfigResourceTypes.TOPIC,
      name: s.topic,
      configNames: Object.keys(s.configs),
    })),
  });
  const problems: string[] = [];
  for (const spec of specs) {
    const partitions = meta.topics.find((t) => t.name === spec.topic)?.partitions.length;
    if (partitions !== spec.numPartitions)
      problems.push(`${spec.topic}: ${String(partitions)} partitions, expected ${spec.numPartitions}`);
    const entries = described.resources.find((r) => r.resourceName === spec.topic)?.configEntries ?? [];
    for (const [name, value] of Object.entries(spec.configs)) {
      const actual = entries.find((e) => e.configName === name)?.configValue;
      if (actual !== value) problems.push(`${spec.topic}: ${name}=${String(actual)}, expected ${value}`);
    }
  }
  if (problems.length > 0)
    throw new Error(`existing topics differ from their specification:\n  ${problems.join('\n  ')}`);
}

/** Convert kafkajs' header values (Buffer | string | arrays) into plain strings. */
export function headerText(headers: IHeaders | undefined, name: string): string | undefined {
  const v = headers?.[name];
  const first = Array.isArray(v) ? v[0] : v;
  return first === undefined ? undefined : first.toString();
}

const defaultPartitioner = Partitioners.DefaultPartitioner();

/**
 * The partition Kafka's default (Java-compatible murmur2) partitioner gives `key` on a topic of
 * `partitions` partitions. Producers set it explicitly so they know where each record of a
 * multi-partition send went.
 */
export function partitionForKey(key: string, partitions: number): number {
  return defaultPartitioner({ topic: '', partitionMetadata: partitionList(partitions), message: { key, value: null } });
}

// Built once per partition count: every record written asks (a fresh list per record was 2 % of ingest's CPU).
const partitionLists = new Map<number, PartitionMetadata[]>();
function partitionList(partitions: number): PartitionMetadata[] {
  let list = partitionLists.get(partitions);
  if (!list) {
    list = Array.from({ length: partitions }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [0],
      isr: [0],
    }));
    partitionLists.set(partitions, list);
  }
  return list;
}

export async function partitionCount(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    const n = meta.topics[0]?.partitions.length ?? 0;
    if (n === 0) throw new Error(`topic ${topic} does not exist (run infra/kafka/topics.ts)`);
    return n;
  } finally {
    await admin.disconnect();
  }
}

/**
 * What a failed idempotent send means for its records:
 * - `unknown`: the connection failed or timed out; the broker may have appended the batch. Only a
 *   resend of the very same batch by the same producer is safe: the broker recognises its sequence
 *   numbers and answers with the original offsets. (kafkajs hands those sequence numbers to the next
 *   send; a *different* batch of the same size would be acknowledged as a "duplicate" and never written.)
 * - `producer-state`: the broker no longer accepts this producer's sequence numbers; only a new
 *   producer (new producer id) can write again.
 * - `refused`: the broker answered with a non-retriable error for the records: not appended.
 */
export type SendFailure = 'unknown' | 'producer-state' | 'refused';

const PRODUCER_STATE_ERRORS = new Set([
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
  'DUPLICATE_SEQUENCE_NUMBER',
  'INVALID_PRODUCER_EPOCH',
  'UNKNOWN_PRODUCER_ID',
  'INVALID_PRODUCER_ID_MAPPING',
]);

export function classifySendFailure(err: unknown): SendFailure {
  const e = err as { name?: string; cause?: unknown };
  if (e.name === 'KafkaJSNumberOfRetriesExceeded') return 'unknown';
  const cause = (e.cause ?? e) as { name?: string; type?: string; retriable?: boolean };
  if (cause.name !== 'KafkaJSProtocolError' && cause.name !== 'KafkaJSOffsetOutOfRange') return 'unknown';
  if (cause.type && PRODUCER_STATE_ERRORS.has(cause.type)) return 'producer-state';
  return cause.retriable ? 'unknown' : 'refused';
}
