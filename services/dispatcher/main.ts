// Dispatcher service: reads the ledger as its own consumer group and starts / signals workflows
// (dispatch.ts). Offsets are committed only after Temporal accepted every start and signal of a
// batch (ledger/reader.ts commits after the handler resolved). Wiring only.
import { z } from 'zod';
import {
  loadConfig,
  kafkaConfig,
  mongoConfig,
  policyConfig,
  runtimeConfig,
  temporalConfig,
  topicsConfig,
} from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka, createIdempotentProducer } from '../../adapters/kafka.js';
import { connectMongo } from '../../adapters/mongo.js';
import { connectTemporalClient } from '../../adapters/temporal.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { startLedgerReader } from '../../ledger/reader.js';
import { projectionReader } from '../../projections/reader.js';
import { progressGate } from '../../projections/progressGate.js';
import { dispatchBatch, type Lane } from './dispatch.js';
import { startWorkflowGauges } from './workflowGauges.js';

const config = loadConfig(
  kafkaConfig
    .extend(mongoConfig.shape)
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend(temporalConfig.shape)
    .extend(policyConfig.shape)
    .extend({
      DISPATCHER_PORT: z.coerce.number().int().min(1).max(65535).default(8083),
      DISPATCHER_HOST: z.string().default('127.0.0.1'),
      DISPATCHER_GROUP_ID: z.string().min(1).default('consent-dispatcher'),
      /** The propagation lane's own consumer group (dispatch.ts): withdrawals never wait behind consents. */
      DISPATCHER_PROPAGATION_GROUP_ID: z.string().min(1).optional(),
      PROJECTION_WAIT_MS: z.coerce.number().int().min(100).default(10_000),
      WEBHOOK_MAX_BACKOFF_MS: z.coerce.number().int().min(1000).default(600_000),
      DISPATCH_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(32),
      /** Partitions the propagation lane handles at once (see readLane). */
      DISPATCH_PROPAGATION_PARTITIONS: z.coerce.number().int().min(1).max(1000).default(12),
    }),
);
const log = createLogger('dispatcher', config.LOG_LEVEL);
const telemetry = startTelemetry('dispatcher', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-dispatcher` }, log);
const deadLetters = createIdempotentProducer(kafka);
await deadLetters.connect();
const mongo = await connectMongo({ url: config.MONGO_URL, db: config.MONGO_DB });
const temporal = await connectTemporalClient({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
});
const projection = projectionReader(mongo.db);
const deps = {
  client: temporal.client,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  propagationTaskQueue: config.TEMPORAL_PROPAGATION_TASK_QUEUE,
  // One shared poll of the projection's progress for every record waiting on it (a burst of releases).
  projection: { ...projection, waitForOffset: progressGate(projection).waitForOffset },
  policies: config.CONSENT_POLICIES,
  log,
  projectionWaitMs: config.PROJECTION_WAIT_MS,
  deliveryMaxIntervalMs: config.WEBHOOK_MAX_BACKOFF_MS,
  concurrency: config.DISPATCH_CONCURRENCY,
};
let inFlight = 0;
const lanes = {
  lifecycle: config.DISPATCHER_GROUP_ID,
  propagation: config.DISPATCHER_PROPAGATION_GROUP_ID ?? `${config.DISPATCHER_GROUP_ID}-propagation`,
};
const consuming: Record<Lane, boolean> = { lifecycle: true, propagation: true };
const readLane = async (lane: Lane) => {
  const consumer = await startLedgerReader(kafka, {
    groupId: lanes[lane],
    topic: config.LEDGER_TOPIC,
    deadLetterTopic: config.DEADLETTER_TOPIC,
    // Poison is dead-lettered once, by the lifecycle lane; the other skips it.
    ...(lane === 'lifecycle' && { deadLetters }),
    // One partition's batch at a time made each withdrawal wait for the starts of every batch fetched with
    // it: under the workflow bench's burst Temporal took 0.1-1 s to accept a start, withdrawals came 200 ms
    // apart, and they started 1.5-3.9 s after they were recorded (now 0.03-1.1 s). Per-subject order is
    // per partition, so it holds.
    ...(lane === 'propagation' && { partitionsConcurrently: config.DISPATCH_PROPAGATION_PARTITIONS }),
    log,
    handle: async (records) => {
      inFlight++;
      try {
        await dispatchBatch(deps, records, lane);
        return undefined; // commit the batch
      } finally {
        inFlight--;
      }
    },
  });
  // A failed batch (Temporal or the projection unavailable) crashes the consumer, which restarts from the
  // last committed offset: nothing is skipped. Only a crash without restart makes the service unready.
  consumer.on(consumer.events.CRASH, (e) => {
    log.error({ lane, error: e.payload.error.message, restart: e.payload.restart }, 'ledger consumer crashed');
    if (!e.payload.restart) consuming[lane] = false;
  });
  return consumer;
};
const consumers = [await readLane('lifecycle'), await readLane('propagation')];
const stopGauges = startWorkflowGauges({
  client: temporal.client,
  taskQueues: { coolingOff: config.TEMPORAL_TASK_QUEUE, withdrawalPropagation: config.TEMPORAL_PROPAGATION_TASK_QUEUE },
  log,
  policy: config.CONSENT_POLICIES.current,
});

const app = createApp({
  log,
  readiness: {
    consumer: async () => consuming.lifecycle && consuming.propagation,
    temporal: async () => {
      await temporal.client.workflowService.getSystemInfo({});
      return true;
    },
  },
  routers: [],
});
const server = await listen(app, config.DISPATCHER_PORT, config.DISPATCHER_HOST);
log.info({ port: config.DISPATCHER_PORT, groups: lanes }, 'dispatcher consuming the ledger');

onShutdown(log, 'finishing the batch in hand', async () => {
  stopGauges();
  // Each waits for its running eachBatch; its offsets are committed only if it finished.
  await Promise.all(consumers.map((c) => c.disconnect()));
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  await server.close();
  await deadLetters.disconnect();
  await temporal.close();
  await mongo.close();
  await telemetry.shutdown();
});
