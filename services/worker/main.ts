// Temporal worker service: runs the workflows (workflows/index.ts) and their activities (ledger
// writes, projection reads, notices, signed webhook deliveries). Wiring only.
//
// Two Workers in one process, one per task queue, each with its own slots: the consent lifecycle
// (TEMPORAL_TASK_QUEUE: coolingOff) and withdrawal propagation (TEMPORAL_PROPAGATION_TASK_QUEUE). A
// burst of 10,000 consents then fills only the lifecycle's slots, and a withdrawal's workflow and
// activity tasks are picked up by the propagation Worker at once. Separate queues rather than
// Temporal's task priority: priority only reorders a backlog within one queue (the tasks still share
// its slots, and a slot running a consent's activity is not given back), and it is pre-release and
// off by default on the servers this runs on; two queues work on every Temporal server and can be
// scaled apart (another process polling one queue only) without a code change.
import { z } from 'zod';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, Worker } from '@temporalio/worker';
import {
  loadConfig,
  kafkaConfig,
  mongoConfig,
  runtimeConfig,
  temporalConfig,
  topicsConfig,
  webhookSigningConfig,
} from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger, errorMessage } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka, createIdempotentProducer, partitionCount } from '../../adapters/kafka.js';
import { connectMongo } from '../../adapters/mongo.js';
import { connectTemporalWorker } from '../../adapters/temporal.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { tracingWorkerPlugin } from '../../adapters/temporalTracing.js';
import { cachedWorkflowBundle } from '../../adapters/workflowBundle.js';
import { activityMetricsInterceptor } from './activityMetrics.js';
import { openLedgerAppender } from '../../ledger/appender.js';
import { projectionReader } from '../../projections/reader.js';
import { NoticeStore } from '../../revocations/notices.js';
import { WebhookRegistry } from '../../revocations/webhooks.js';
import { createActivities } from '../../workflows/activities/index.js';
import { OrganisationNotifications } from '../../workflows/activities/organisationNotifications.js';
import { progressGate } from '../../projections/progressGate.js';

const config = loadConfig(
  kafkaConfig
    .extend(mongoConfig.shape)
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend(temporalConfig.shape)
    .extend(webhookSigningConfig.shape)
    .extend({
      WORKER_PORT: z.coerce.number().int().min(1).max(65535).default(8084),
      WORKER_HOST: z.string().default('127.0.0.1'),
      // A folder to keep the workflow bundle in between starts (make up sets one); unset: bundled at each start.
      WORKFLOW_BUNDLE_CACHE_DIR: z.string().min(1).optional(),
      PROJECTION_WAIT_MS: z.coerce.number().int().min(100).default(10_000),
      WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
      WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(100),
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(40),
      PROPAGATION_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(50),
      PROPAGATION_MAX_CONCURRENT_WORKFLOW_TASKS: z.coerce.number().int().min(2).default(20),
      // Cached workflows keep their sandbox in memory (~3 MB each with the tracing interceptors); SDK's
      // default sizes the cache from the heap limit (thousands here: 4 GB RSS with 2,441 consents asleep in
      // cooling-off). Consents sleep for weeks: an evicted one is replayed from its short history when its
      // timer fires. Measured (make bench ONLY=workflows, 1,000 consents, 20 withdrawals x 10 holders):
      // 150 + 100 cached: worker peak 1,483 MB, p99 lateness 78.7 s, withdrawals in the burst p99 13.5 s,
      // idle 3.5 s; 20 + 20: 858 MB, 69.7 s, 10.9 s, 2.5 s — the replays cost less than the memory did.
      WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(20),
      PROPAGATION_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).default(20),
    }),
);
const log = createLogger('worker', config.LOG_LEVEL);
const telemetry = startTelemetry('worker', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-worker` }, log);
const mongo = await connectMongo({ url: config.MONGO_URL, db: config.MONGO_DB });
// Revocation notices go to their own topic, by their own producer (the ledger writer may replace its own).
const producer = createIdempotentProducer(kafka);
await producer.connect();
const ledger = await openLedgerAppender({
  kafka,
  db: mongo.db,
  owner: `worker-${randomUUID()}`,
  log,
  topic: config.LEDGER_TOPIC,
  partitions: await partitionCount(kafka, config.LEDGER_TOPIC),
});
const { writer, receipts } = ledger;
const notices = new NoticeStore(mongo.db);
await notices.ensureIndexes();
const admin = kafka.admin();
await admin.connect();

const projection = projectionReader(mongo.db);
const activities = createActivities({
  ledger: { writer, receipts },
  projection: { ...projection, waitForOffset: progressGate(projection).waitForOffset },
  notices,
  webhooks: new WebhookRegistry(mongo.db, Buffer.from(config.WEBHOOK_SIGNING_KEY, 'base64')),
  revocations: { producer, topic: config.REVOCATIONS_TOPIC },
  notifications: new OrganisationNotifications(mongo.db),
  log,
  now: () => new Date(),
  projectionWaitMs: config.PROJECTION_WAIT_MS,
  webhookTimeoutMs: config.WEBHOOK_TIMEOUT_MS,
});

const connection = await connectTemporalWorker({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
});
// Traces continue from the dispatcher's start into workflow and activity spans; activity outcomes are counted.
const tracing = tracingWorkerPlugin(telemetry);
// Bundled once for both Workers (the plugin adds its workflow interceptors to the bundle).
const workflowBundle = await cachedWorkflowBundle({
  projectRoot: fileURLToPath(new URL('../..', import.meta.url)),
  cacheDir: config.WORKFLOW_BUNDLE_CACHE_DIR,
  bundle: {
    workflowsPath: fileURLToPath(new URL('../../workflows/index.ts', import.meta.url)),
    plugins: [tracing],
    logger: new DefaultLogger('WARN'),
  },
});
const workerFor = (taskQueue: string, slots: { workflowTasks: number; activities: number; cached: number }) =>
  Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue,
    workflowBundle,
    activities,
    plugins: [tracing],
    interceptors: { activity: [activityMetricsInterceptor] },
    maxConcurrentWorkflowTaskExecutions: slots.workflowTasks,
    maxConcurrentActivityTaskExecutions: slots.activities,
    maxCachedWorkflows: slots.cached,
    // Let in-flight activities finish on SIGTERM (graceful shutdown); a SIGKILL is covered by Temporal's retries.
    shutdownGraceTime: '20s',
  });
const workers = [
  await workerFor(config.TEMPORAL_TASK_QUEUE, {
    workflowTasks: config.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    activities: config.WORKER_MAX_CONCURRENT_ACTIVITIES,
    cached: config.WORKER_MAX_CACHED_WORKFLOWS,
  }),
  await workerFor(config.TEMPORAL_PROPAGATION_TASK_QUEUE, {
    workflowTasks: config.PROPAGATION_MAX_CONCURRENT_WORKFLOW_TASKS,
    activities: config.PROPAGATION_MAX_CONCURRENT_ACTIVITIES,
    cached: config.PROPAGATION_MAX_CACHED_WORKFLOWS,
  }),
];
// Both run until one fails or shutdown is asked; either failing stops the service (no half-served queue).
const runs = workers.map((w) => w.run());
const running = Promise.all(runs);

const app = createApp({
  log,
  readiness: {
    // Ready only while both queues are polled: a lifecycle Worker alone would leave withdrawals unserved.
    temporal: async () => workers.every((w) => w.getState() === 'RUNNING'),
    kafka: async () => (await admin.describeCluster()).brokers.length > 0,
    mongo: async () => (await mongo.db.command({ ping: 1 })).ok === 1,
  },
  routers: [],
});
const server = await listen(app, config.WORKER_PORT, config.WORKER_HOST);
log.info(
  {
    port: config.WORKER_PORT,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    propagationTaskQueue: config.TEMPORAL_PROPAGATION_TASK_QUEUE,
  },
  'worker running',
);

const shutdown = onShutdown(log, 'finishing in-flight activities', async () => {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  for (const r of await Promise.allSettled(runs))
    if (r.status === 'rejected') log.error({ err: errorMessage(r.reason) }, 'worker stopped with an error');
  await server.close();
  await writer.drain();
  await ledger.close();
  await producer.disconnect();
  await admin.disconnect();
  await connection.close();
  await mongo.close();
  await telemetry.shutdown();
});
running.catch((err: unknown) => {
  log.error({ err: errorMessage(err) }, 'worker failed');
  void shutdown('worker-failed', 1);
});
