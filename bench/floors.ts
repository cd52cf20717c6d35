// The same-run baselines as processes: bare express (bareExpress.ts) and the durable floor
// (durableFloor.ts, on its own topics, created here and deleted on stop).
import { spawn } from 'node:child_process';
import { createKafka, ensureTopics } from '../adapters/kafka.js';
import { TOPICS } from '../contracts/topics.js';
import { topicSpecs } from '../infra/kafka/topics.js';

export interface Baseline {
  url: string;
  stop(): Promise<void>;
}

export async function startBareExpress(port: number): Promise<Baseline> {
  return spawnBaseline('bench/bareExpress.ts', port, { BARE_PORT: String(port) }, async () => undefined);
}

/**
 * Record sizes in bytes of the Kafka value each route writes; a route without a size is not served.
 * `tag` names the floor's topics: unique per bench, as a deleted topic lingers a moment on the broker.
 */
export async function startDurableFloor(
  port: number,
  tag: string,
  sizes: { eventBytes?: number; decisionBytes?: number },
): Promise<Baseline> {
  const kafka = createKafka({ brokers: process.env.KAFKA_BROKERS!.split(','), clientId: 'bench-floor-topics' });
  const partitions = (topic: string) => topicSpecs.find((s) => s.topic === topic)!.numPartitions;
  const topics = { events: `bench-floor-events-${tag}`, decisions: `bench-floor-decisions-${tag}` };
  await ensureTopics(kafka, [
    { topic: topics.events, numPartitions: partitions(TOPICS.ledger), configs: { 'cleanup.policy': 'delete' } },
    { topic: topics.decisions, numPartitions: partitions(TOPICS.decisions), configs: { 'cleanup.policy': 'delete' } },
  ]);
  const env = {
    FLOOR_PORT: String(port),
    FLOOR_EVENTS_TOPIC: topics.events,
    FLOOR_DECISIONS_TOPIC: topics.decisions,
    FLOOR_EVENT_BYTES: String(sizes.eventBytes ?? 0),
    FLOOR_DECISION_BYTES: String(sizes.decisionBytes ?? 0),
  };
  return spawnBaseline('bench/durableFloor.ts', port, env, async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: Object.values(topics) }).finally(() => admin.disconnect());
  });
}

async function spawnBaseline(
  script: string,
  port: number,
  env: Record<string, string>,
  cleanUp: () => Promise<void>,
): Promise<Baseline> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, ...env },
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    proc.kill();
    await cleanUp();
  };
  try {
    await waitReady(url);
  } catch (e) {
    await stop();
    throw e;
  }
  return { url, stop };
}

export async function waitReady(url: string) {
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}
