// Audit API service: wiring only. Its own service because auditors sit in a separate trust zone: it
// has read access to Kafka and MongoDB, the sealer's PUBLIC key, and no write path at all.
import { z } from 'zod';
import { Router } from 'express';
import {
  loadConfig,
  kafkaConfig,
  mongoConfig,
  policyConfig,
  runtimeConfig,
  topicsConfig,
} from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger, errorMessage } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka } from '../../adapters/kafka.js';
import { openMongo } from '../../adapters/mongo.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { authenticate, requireRole } from '../../access/authenticate.js';
import { CredentialStore } from '../../access/credentials.js';
import { projectionReader } from '../../projections/reader.js';
import { trustedKeyFrom } from './trust.js';
import { auditRoutes, publicKeyRoute } from './routes.js';
import { auditOpenApi } from './openapi.js';

const config = loadConfig(
  kafkaConfig
    .extend(mongoConfig.shape)
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend(policyConfig.shape)
    .extend({
      AUDIT_PORT: z.coerce.number().int().min(1).max(65535).default(8086),
      AUDIT_HOST: z.string().default('127.0.0.1'),
      AUDIT_PUBLIC_KEY: z
        .string()
        .regex(/^[A-Za-z0-9+/=]{40,}$/, "must be the sealer's Ed25519 public key, SPKI DER in base64"),
    }),
);
const log = createLogger('audit', config.LOG_LEVEL);
const telemetry = startTelemetry('audit', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
let trustedKey;
try {
  trustedKey = trustedKeyFrom(config.AUDIT_PUBLIC_KEY);
} catch (err) {
  log.fatal({ variable: 'AUDIT_PUBLIC_KEY', reason: (err as Error).message }, 'invalid configuration');
  process.exit(1);
}

// Short timeouts and few retries: Kafka down must become a prompt 503.
const kafka = createKafka(
  { brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-audit`, requestTimeoutMs: 5000, retries: 2 },
  log,
);
const mongo = openMongo({ url: config.MONGO_URL, db: config.MONGO_DB });
const credentials = new CredentialStore(mongo.db);
const admin = kafka.admin();
await admin.connect().catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'Kafka not reachable yet'));

const app = createApp({
  log,
  openapi: auditOpenApi,
  readiness: {
    kafka: async () => (await admin.describeCluster()).brokers.length > 0,
    mongo: async () => (await mongo.db.command({ ping: 1 })).ok === 1,
  },
  routers: [
    publicKeyRoute(trustedKey),
    Router().use('/v1', authenticate(credentials), requireRole('auditor')),
    auditRoutes({
      kafka,
      projection: projectionReader(mongo.db),
      trustedKey,
      ledgerTopic: config.LEDGER_TOPIC,
      checkpointsTopic: config.CHECKPOINTS_TOPIC,
      policies: config.CONSENT_POLICIES,
      now: () => new Date(),
    }),
  ],
});
const server = await listen(app, config.AUDIT_PORT, config.AUDIT_HOST);
log.info({ port: config.AUDIT_PORT }, 'audit API listening');

onShutdown(log, 'finishing in-flight audits', async () => {
  await server.close();
  await admin.disconnect();
  await mongo.close();
  await telemetry.shutdown();
});
