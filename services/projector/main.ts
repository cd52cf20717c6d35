// Projector service: wiring only. Reads configuration, creates clients, runs the projection consumer
// (consumer.ts) and serves /healthz, /readyz and /metrics.
import { z } from 'zod';
import { loadConfig, kafkaConfig, mongoConfig, runtimeConfig, topicsConfig } from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka, createIdempotentProducer } from '../../adapters/kafka.js';
import { connectMongo } from '../../adapters/mongo.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { startProjector } from './consumer.js';
import { projectorMetrics } from './metrics.js';

const config = loadConfig(
  kafkaConfig
    .extend(mongoConfig.shape)
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend({
      PROJECTOR_PORT: z.coerce.number().int().min(1).max(65535).default(8082),
      PROJECTOR_HOST: z.string().default('127.0.0.1'),
      PROJECTOR_GROUP_ID: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,200}$/, 'expected a Kafka group id')
        .default('consent-projector'),
    }),
);
const log = createLogger('projector', config.LOG_LEVEL);
const telemetry = startTelemetry('projector', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-projector` }, log);
const deadLetters = createIdempotentProducer(kafka);
await deadLetters.connect();
const mongo = await connectMongo({ url: config.MONGO_URL, db: config.MONGO_DB });
const admin = kafka.admin();
await admin.connect();
const metrics = projectorMetrics();

const projector = await startProjector({
  kafka,
  db: mongo.db,
  log,
  groupId: config.PROJECTOR_GROUP_ID,
  topic: config.LEDGER_TOPIC,
  deadLetterTopic: config.DEADLETTER_TOPIC,
  deadLetters,
  onBatch: (r) => {
    metrics.observe(r);
    log.debug(
      {
        generation: r.generation,
        partition: r.partition,
        events: r.events,
        next: r.nextOffset,
        lag: Number(r.lag),
        ms: Math.round(r.ms),
      },
      'batch projected',
    );
  },
});
// kafkajs restarts the consumer after retriable errors (e.g. MongoDB briefly down: the batch is
// retried, nothing committed); anything else ends the process so its supervisor restarts it.
projector.consumer.on(projector.consumer.events.CRASH, (e) => {
  if (e.payload.restart) return;
  log.error({ err: e.payload.error.message }, 'projection consumer crashed');
  process.exit(1);
});

const app = createApp({
  log,
  readiness: {
    kafka: async () => (await admin.describeCluster()).brokers.length > 0,
    mongo: async () => (await mongo.db.command({ ping: 1 })).ok === 1,
  },
  routers: [],
  metrics: [metrics.registry],
});
const server = await listen(app, config.PROJECTOR_PORT, config.PROJECTOR_HOST);
log.info(
  { port: config.PROJECTOR_PORT, group: config.PROJECTOR_GROUP_ID, topic: config.LEDGER_TOPIC },
  'projector running',
);
const progressLog = setInterval(() => log.info(metrics.summary(), 'projection progress'), 10_000);
progressLog.unref();

onShutdown(log, 'finishing the batch in flight', async () => {
  clearInterval(progressLog);
  await projector.disconnect(); // waits for the running batch; its offsets are committed after its writes
  await server.close();
  await deadLetters.disconnect();
  await admin.disconnect();
  await mongo.close();
  await telemetry.shutdown();
});
