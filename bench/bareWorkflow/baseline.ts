// The bare baseline of the cooling-off bench: a plain @temporalio/worker Worker in the bench process,
// on its own task queue of the same Temporal server, running bareCoolingOff (workflow.ts) with the
// same activity and workflow-task slots as our lifecycle Worker (the SDK's default workflow cache), and
// its records on a topic of their own with the ledger's partition count.
import { fileURLToPath } from 'node:url';
import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { createLogProducer, ensureTopics, type Kafka } from '../../adapters/kafka.js';
import { connectTemporalWorker } from '../../adapters/temporal.js';
import { bareActivities, type BareRecord } from './activities.js';

export interface BareBaseline {
  /** Starts one bareCoolingOff per record (32 client starts at a time); resolves when all are started. */
  start(records: BareRecord[]): Promise<void>;
  /** Record id → when Kafka acknowledged its record (ms since the epoch). */
  acked: ReadonlyMap<string, number>;
  close(): Promise<void>;
}

export interface BareSettings {
  kafka: Kafka;
  client: Client;
  address: string;
  namespace: string;
  tag: string;
  partitions: number;
  slots: { activities: number; workflowTasks: number };
}

let runtimeQuiet = false;
/** The SDK's Runtime logs every poll at INFO to stdout by default: only warnings, before the first Worker. */
function quietRuntime(): void {
  if (runtimeQuiet) return;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  runtimeQuiet = true;
}

export async function startBareBaseline(s: BareSettings): Promise<BareBaseline> {
  const topic = `bench.bare.${s.tag}`;
  const taskQueue = `bench-bare-${s.tag}`;
  await ensureTopics(s.kafka, [{ topic, numPartitions: s.partitions, configs: { 'retention.ms': '3600000' } }]);
  const producer = createLogProducer(s.kafka);
  await producer.connect();
  const acked = new Map<string, number>();
  quietRuntime();
  const connection = await connectTemporalWorker({ address: s.address, namespace: s.namespace });
  // Bundled here (seconds of CPU), before the burst it is compared in.
  const worker = await Worker.create({
    connection,
    namespace: s.namespace,
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./workflow.ts', import.meta.url)),
    activities: bareActivities(producer, topic, acked),
    maxConcurrentActivityTaskExecutions: s.slots.activities,
    maxConcurrentWorkflowTaskExecutions: s.slots.workflowTasks,
  });
  const running = worker.run();
  return {
    acked,
    start: async (records) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          for (let i = next++; i < records.length; i = next++) {
            const r = records[i]!;
            await s.client.workflow.start('bareCoolingOff', {
              taskQueue,
              workflowId: `bare-${r.id}`,
              args: [r],
              workflowExecutionTimeout: '30m',
              workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            });
          }
        }),
      );
    },
    close: async () => {
      worker.shutdown();
      await running;
      await connection.close();
      await producer.disconnect();
      const admin = s.kafka.admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
