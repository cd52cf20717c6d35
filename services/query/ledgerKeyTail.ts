// Feeds RecentLedgerKeys from the ledger: a consumer of every partition, in a group of its own (each
// query instance sees every record), from the end of the ledger at start. It reads only the records'
// keys and offsets; values are neither parsed nor validated, and nothing is committed.
// While it is not running (Kafka down, not joined yet) nothing is known, and caches fall back to
// reuse at the exact high-water mark only.
import { randomUUID } from 'node:crypto';
import { createConsumer, type Consumer, type Kafka } from '../../adapters/kafka.js';
import type { Logger } from '../../adapters/logger.js';
import type { RecentLedgerKeys } from './recentLedgerKeys.js';

export async function startLedgerKeyTail(
  kafka: Kafka,
  o: { topic: string; keys: RecentLedgerKeys; log: Logger },
): Promise<Consumer> {
  const consumer = createConsumer(kafka, { groupId: `query-keys-${randomUUID()}`, maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic: o.topic, fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      const first = batch.firstOffset();
      if (first === null) return;
      const records = batch.messages.flatMap((m) =>
        m.key ? [{ offset: Number(m.offset), key: m.key.toString() }] : [],
      );
      o.keys.observe(batch.partition, Number(first), records, Number(batch.lastOffset()) + 1);
    },
  });
  consumer.on(consumer.events.CRASH, (e) =>
    o.log.warn({ err: e.payload.error }, 'ledger key tail crashed; kafkajs restarts it'),
  );
  return consumer;
}
