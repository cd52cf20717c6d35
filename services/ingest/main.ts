// Ingest service: wiring only. Reads configuration, creates clients, serves the routes.
import { z } from 'zod';
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import {
  loadConfig,
  kafkaConfig,
  mongoConfig,
  policyConfig,
  runtimeConfig,
  topicsConfig,
} from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka, partitionCount } from '../../adapters/kafka.js';
import { connectMongo } from '../../adapters/mongo.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { authenticate } from '../../access/authenticate.js';
import { CredentialStore } from '../../access/credentials.js';
import { openLedgerAppender } from '../../ledger/appender.js';
import { STORE_OUTAGES } from '../../ledger/receipts.js';
import { asyncApiDocument } from '../../contracts/asyncapi.js';
import { ingestRoutes } from './routes.js';
import { ingestOpenApi } from './openapi.js';
import { pseudonymiser } from '../../contracts/consent/pseudonym.js';

const config = loadConfig(
  kafkaConfig
    .extend(mongoConfig.shape)
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend(policyConfig.shape)
    .extend({
      INGEST_PORT: z.coerce.number().int().min(1).max(65535).default(8080),
      INGEST_HOST: z.string().default('127.0.0.1'),
      PSEUDONYM_KEY: z.string().regex(/^[A-Za-z0-9+/=_-]{43,}$/, 'must be at least 32 random bytes, base64'),
      LEDGER_ACK_DEADLINE_MS: z.coerce.number().int().min(100).default(5000),
      // accept-single-instance: keep accepting while MongoDB is down — only where one ingest instance runs.
      INGEST_STORE_OUTAGE: z.enum(STORE_OUTAGES).default('refuse'),
    }),
);
const log = createLogger('ingest', config.LOG_LEVEL);
const telemetry = startTelemetry('ingest', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-ingest` }, log);
const mongo = await connectMongo({ url: config.MONGO_URL, db: config.MONGO_DB });
const instance = randomUUID();
const ledger = await openLedgerAppender({
  kafka,
  db: mongo.db,
  owner: instance,
  log,
  topic: config.LEDGER_TOPIC,
  partitions: await partitionCount(kafka, config.LEDGER_TOPIC),
  deadlineMs: config.LEDGER_ACK_DEADLINE_MS,
  storeOutage: config.INGEST_STORE_OUTAGE,
});
const { writer, receipts } = ledger;
const credentials = new CredentialStore(mongo.db);
const admin = kafka.admin();
await admin.connect();

const app = createApp({
  log,
  openapi: ingestOpenApi,
  readiness: {
    kafka: async () => (await admin.describeCluster()).brokers.length > 0,
    // The receipt store answers (or, accepting during outages, there is room to keep receipts).
    receipts: () => receipts.acceptsWrites(),
  },
  // Health and docs are public; everything under /v1 needs a credential.
  routers: [
    Router().get('/asyncapi.json', (_req, res) => {
      res.json(asyncApiDocument());
    }),
    Router().use('/v1', authenticate(credentials)),
    ingestRoutes({
      writer,
      receipts,
      pseudonymise: pseudonymiser(Buffer.from(config.PSEUDONYM_KEY, 'base64')),
      now: () => new Date(),
      policies: config.CONSENT_POLICIES,
    }),
  ],
});
const server = await listen(app, config.INGEST_PORT, config.INGEST_HOST);
log.info({ port: config.INGEST_PORT, instance }, 'ingest listening');

onShutdown(log, 'finishing in-flight requests', async () => {
  await server.close();
  await writer.drain();
  await ledger.close();
  await admin.disconnect();
  await mongo.close();
  await telemetry.shutdown();
});
