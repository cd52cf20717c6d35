import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKafka,
  createIdempotentProducer,
  createConsumer,
  ensureTopics,
  headerText,
  type KafkaMessage,
} from './kafka.js';
import { testEnv, runId } from '../test/serverEnv.js';

const kafka = createKafka({ brokers: testEnv.KAFKA_BROKERS, clientId: `adapter-test-${runId}` });
const topic = `adapter-test-${runId}`;
const spec = { topic, numPartitions: 3, configs: { 'cleanup.policy': 'delete', 'retention.ms': '-1' } };

describe('Kafka adapter against the real broker', () => {
  const producer = createIdempotentProducer(kafka);
  beforeAll(async () => {
    expect((await ensureTopics(kafka, [spec])).created).toEqual([topic]);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
  });

  it('creating the topics again changes nothing', async () => {
    expect((await ensureTopics(kafka, [spec])).created).toEqual([]);
  });

  it('refuses an existing topic whose retention differs from its specification', async () => {
    await expect(
      ensureTopics(kafka, [{ ...spec, configs: { ...spec.configs, 'retention.ms': '1000' } }]),
    ).rejects.toThrow(/retention\.ms=-1, expected 1000/);
  });

  it('an acks=all write is read back with its key, headers and offset, in key order', async () => {
    const sent = await producer.send({
      topic,
      acks: -1,
      messages: [1, 2, 3].map((n) => ({ key: 'sub-a', value: JSON.stringify({ n }), headers: { ce_id: `e${n}` } })),
    });
    const { partition, baseOffset } = sent[0]!;
    expect(sent).toHaveLength(1);

    const consumer = createConsumer(kafka, { groupId: `adapter-test-${runId}` });
    const seen: KafkaMessage[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message);
      },
    });
    await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(3);
    await consumer.disconnect();

    expect(seen.map((m) => JSON.parse(m.value!.toString()).n)).toEqual([1, 2, 3]);
    expect(seen.map((m) => headerText(m.headers, 'ce_id'))).toEqual(['e1', 'e2', 'e3']);
    expect(seen[0]!.offset).toBe(baseOffset);
    expect(seen.every((m) => m.key?.toString() === 'sub-a')).toBe(true);
    expect(partition).toBeGreaterThanOrEqual(0);
  });
});
