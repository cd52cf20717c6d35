// Each test file gets its own topics (same partition counts and retention as production), so the
// services it starts see only its own events. Pass `env` to startService.
import type { Kafka } from 'kafkajs';
import { ensureTopics } from '../../adapters/kafka.js';
import { topicSpecs } from '../../infra/kafka/topics.js';
import { TOPICS } from '../../contracts/topics.js';

export interface TestTopics {
  names: { [K in keyof typeof TOPICS]: string };
  /** LEDGER_TOPIC, REVOCATIONS_TOPIC, … for a service's environment. */
  env: Record<string, string>;
}

const ENV_NAMES: { [K in keyof typeof TOPICS]: string } = {
  ledger: 'LEDGER_TOPIC',
  revocations: 'REVOCATIONS_TOPIC',
  decisions: 'DECISIONS_TOPIC',
  checkpoints: 'CHECKPOINTS_TOPIC',
  deadLetter: 'DEADLETTER_TOPIC',
};

export async function createTestTopics(kafka: Kafka, tag: string): Promise<TestTopics> {
  const keys = Object.keys(TOPICS) as (keyof typeof TOPICS)[];
  const names = Object.fromEntries(keys.map((k) => [k, `${TOPICS[k]}.${tag}`])) as TestTopics['names'];
  await ensureTopics(
    kafka,
    topicSpecs.map((s) => {
      const key = keys.find((k) => TOPICS[k] === s.topic)!;
      return { ...s, topic: names[key] };
    }),
  );
  return { names, env: Object.fromEntries(keys.map((k) => [ENV_NAMES[k], names[k]])) };
}
