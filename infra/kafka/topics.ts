// Creates the project's topics (idempotent) on whatever Kafka KAFKA_BROKERS names — the embedded broker
// or a production cluster — and refuses to run against a ledger topic whose retention was altered.
import { createKafka, ensureTopics, type TopicSpec } from '../../adapters/kafka.js';
import { loadConfig, kafkaConfig } from '../../adapters/config.js';
import { TOPICS } from '../../contracts/topics.js';

/**
 * The ledger is kept forever and never compacted (a compacted topic would keep only each subject's
 * last event and destroy the history auditors replay).
 * 12 partitions: the key is the subject, so a person's events stay in order on one partition; 12 lets
 * up to 12 projector/dispatcher/sealer instances share the load (divisible by 1, 2, 3, 4, 6), while a
 * single-node broker keeps few enough files and a rebalance stays quick. The count can only grow, and
 * growing it moves subjects between partitions, so it is chosen once, generously.
 */
const forever = { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'retention.bytes': '-1' };
export const topicSpecs: TopicSpec[] = [
  { topic: TOPICS.ledger, numPartitions: 12, configs: forever },
  { topic: TOPICS.revocations, numPartitions: 6, configs: forever },
  { topic: TOPICS.decisions, numPartitions: 6, configs: forever },
  { topic: TOPICS.checkpoints, numPartitions: 1, configs: forever },
  { topic: TOPICS.deadLetter, numPartitions: 1, configs: forever },
];

if (import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const config = loadConfig(kafkaConfig);
  const { created } = await ensureTopics(
    createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'topics' }),
    topicSpecs,
  );
  console.log(created.length ? `created topics: ${created.join(', ')}` : 'topics already present');
}
