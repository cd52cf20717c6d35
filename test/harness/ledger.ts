// Reads every record of a topic up to its current end, for tests that check what is on the ledger.
import { createConsumer, type KafkaMessage } from '../../adapters/kafka.js';
import type { Kafka } from 'kafkajs';
import { randomUUID } from 'node:crypto';

export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | undefined;
  value: Buffer;
  headers: KafkaMessage['headers'];
}

/** The topic's offsets; right after a broker restart a partition may have no leader yet: wait for it. */
async function topicOffsets(kafka: Kafka, topic: string) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await admin.fetchTopicOffsets(topic);
      } catch (err) {
        const e = err as { retriable?: boolean; cause?: { retriable?: boolean } };
        if (!(e.retriable || e.cause?.retriable) || attempt >= 60) throw err;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

export async function readTopic(kafka: Kafka, topic: string): Promise<ReadRecord[]> {
  const ends = await topicOffsets(kafka, topic);
  const remaining = new Map(
    ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]),
  );
  const records: ReadRecord[] = [];
  if (remaining.size === 0) return records;
  const consumer = createConsumer(kafka, { groupId: `test-reader-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reading ${topic} did not reach its end in 30 s`)), 30_000);
    // On a transactional topic (checkpoints) the last offset before the end is usually a commit
    // marker, which is never delivered as a message: a fetch's last raw offset says we passed it.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const end = remaining.get(payload.partition);
      if (end !== undefined && BigInt(payload.lastOffset) + 1n >= end) remaining.delete(payload.partition);
      if (remaining.size === 0) {
        clearTimeout(timer);
        resolve();
      }
    });
    void consumer
      .run({
        eachMessage: async ({ partition, message }) => {
          records.push({
            partition,
            offset: message.offset,
            key: message.key?.toString(),
            value: message.value!,
            headers: message.headers,
          });
          const end = remaining.get(partition);
          if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
          if (remaining.size === 0) {
            clearTimeout(timer);
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return records;
}
