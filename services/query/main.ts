// Query / decision API: wiring only. Reads configuration, creates clients, serves the routers.
import { z } from 'zod';
import { Router } from 'express';
import { randomUUID } from 'node:crypto';
import {
  loadConfig,
  kafkaConfig,
  mongoConfig,
  policyConfig,
  runtimeConfig,
  temporalConfig,
  topicsConfig,
  webhookSigningConfig,
} from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka, createLogProducer, partitionCount } from '../../adapters/kafka.js';
import { openMongo } from '../../adapters/mongo.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { authenticate } from '../../access/authenticate.js';
import { CredentialStore } from '../../access/credentials.js';
import { openLedgerAppender } from '../../ledger/appender.js';
import { projectionReader } from '../../projections/reader.js';
import { progressGate } from '../../projections/progressGate.js';
import { LedgerFreshness } from './freshness.js';
import { FreshProjection } from './freshProjection.js';
import { RecentLedgerKeys } from './recentLedgerKeys.js';
import { startLedgerKeyTail } from './ledgerKeyTail.js';
import { ProjectionSnapshots } from './projectionSnapshot.js';
import { DecisionLog } from './decisionLog.js';
import { consentRoutes } from './consentRoutes.js';
import { decisionRoutes } from './decisionRoutes.js';
import { dataUserRoutes } from './dataUserRoutes.js';
import { releaseRoutes } from './releaseRoutes.js';
import { revocationRoutesFor } from './revocationWiring.js';
import { transparencyRoutes } from './transparencyRoutes.js';
import { lookupRoutes } from './lookupRoutes.js';
import { TransparencyLinks } from './transparencyLink.js';
import { ReadLog } from './readLog.js';
import { pseudonymiser } from '../../contracts/consent/pseudonym.js';
import { queryOpenApi } from './openapi.js';
import type { QueryDeps } from './deps.js';

const config = loadConfig(
  kafkaConfig
    .extend(mongoConfig.shape)
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend(policyConfig.shape)
    .extend(temporalConfig.shape)
    .extend(webhookSigningConfig.shape)
    .extend({
      QUERY_PORT: z.coerce.number().int().min(1).max(65535).default(8081),
      QUERY_HOST: z.string().default('127.0.0.1'),
      /** How long a request waits for the projector to reach the ledger's high-water mark before 503. */
      QUERY_FRESHNESS_MS: z.coerce.number().int().min(10).max(60_000).default(2000),
      /** Subject states kept in memory (valid only at the same ledger high-water mark; see markedCache.ts). */
      QUERY_CACHE_ENTRIES: z.coerce.number().int().min(0).default(20_000),
      /** Ledger records remembered per partition to reuse cached states across new records of other keys (recentLedgerKeys.ts). */
      QUERY_RECENT_KEYS: z.coerce.number().int().min(0).default(20_000),
      /** Cohort filters hold the whole projection in memory (as JSON text) up to this many subjects (projectionSnapshot.ts); 0 = never. */
      QUERY_FILTER_SNAPSHOT_MAX: z.coerce.number().int().min(0).default(500_000),
      LEDGER_ACK_DEADLINE_MS: z.coerce.number().int().min(100).default(5000),
      /** How long an acknowledgement waits for Temporal before answering 503. */
      TEMPORAL_SIGNAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
      /** The ingest's pseudonym key: a lookup by NHS number must find the ingest's pseudonym. */
      PSEUDONYM_KEY: z.string().regex(/^[A-Za-z0-9+/=_-]{43,}$/, 'must be at least 32 random bytes, base64'),
      /** Signs the person's short-lived transparency links (transparencyLink.ts). */
      TRANSPARENCY_LINK_KEY: z.string().regex(/^[A-Za-z0-9+/=_-]{43,}$/, 'must be at least 32 random bytes, base64'),
      /** The origin the person's links point at; unset: the origin the request came to. */
      QUERY_PUBLIC_URL: z.url().optional(),
    }),
);
const log = createLogger('query', config.LOG_LEVEL);
const telemetry = startTelemetry('query', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

// Short timeouts and few retries: a Kafka that is down must turn into a prompt 503, not a hung request.
const kafka = createKafka(
  { brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-query`, requestTimeoutMs: 3000, retries: 2 },
  log,
);
const logProducer = createLogProducer(kafka);
await logProducer.connect();
const admin = kafka.admin();
await admin.connect();
const partitions = await partitionCount(kafka, config.LEDGER_TOPIC);
// The projection store may be down at start: the service starts anyway and answers 503 until it is back.
const mongo = openMongo({ url: config.MONGO_URL, db: config.MONGO_DB });
const reader = projectionReader(mongo.db);
const ledger = await openLedgerAppender({
  kafka,
  db: mongo.db,
  owner: randomUUID(),
  log,
  topic: config.LEDGER_TOPIC,
  partitions,
  deadlineMs: config.LEDGER_ACK_DEADLINE_MS,
});
const { writer } = ledger;
const recentKeys = new RecentLedgerKeys(config.QUERY_RECENT_KEYS);
const keyTail = await startLedgerKeyTail(kafka, { topic: config.LEDGER_TOPIC, keys: recentKeys, log });
const freshness = new LedgerFreshness({
  admin,
  topic: config.LEDGER_TOPIC,
  partitions,
  // A decision waits on the projector: a shorter poll than the workflows' (one shared read per 25 ms).
  reader: { ...reader, waitForOffset: progressGate(reader, 25).waitForOffset },
  boundMs: config.QUERY_FRESHNESS_MS,
  recentKeys,
});
const deps: QueryDeps = {
  reader,
  freshness,
  fresh: new FreshProjection(reader, freshness, config.QUERY_CACHE_ENTRIES, recentKeys),
  decisionLog: new DecisionLog(logProducer, config.DECISIONS_TOPIC),
  policies: config.CONSENT_POLICIES,
  snapshots: new ProjectionSnapshots(reader, config.QUERY_FILTER_SNAPSHOT_MAX, recentKeys),
  reads: new ReadLog(mongo.db),
  now: () => new Date(),
};

const app = createApp({
  log,
  openapi: queryOpenApi,
  readiness: {
    kafka: async () => (await admin.describeCluster()).brokers.length > 0,
    mongo: async () => (await mongo.db.command({ ping: 1 })).ok === 1,
  },
  // Health and docs are public; everything under /v1 needs a credential. One router per resource.
  routers: [
    Router().use('/v1', authenticate(new CredentialStore(mongo.db))),
    consentRoutes(deps),
    lookupRoutes({ ...deps, pseudonymise: pseudonymiser(Buffer.from(config.PSEUDONYM_KEY, 'base64')) }),
    transparencyRoutes({
      ...deps,
      links: new TransparencyLinks(Buffer.from(config.TRANSPARENCY_LINK_KEY, 'base64')),
      publicUrl: config.QUERY_PUBLIC_URL,
    }),
    decisionRoutes(deps),
    dataUserRoutes({ ...deps, ledger }),
    releaseRoutes({ ...deps, ledger, db: mongo.db }),
    revocationRoutesFor(mongo.db, {
      temporal: { address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE },
      webhookSigningKey: Buffer.from(config.WEBHOOK_SIGNING_KEY, 'base64'),
      signalTimeoutMs: config.TEMPORAL_SIGNAL_TIMEOUT_MS,
    }),
  ],
});
const server = await listen(app, config.QUERY_PORT, config.QUERY_HOST);
log.info({ port: config.QUERY_PORT }, 'query listening');

onShutdown(log, 'finishing in-flight requests', async () => {
  await server.close();
  await keyTail.disconnect();
  await writer.drain();
  await ledger.close();
  await logProducer.disconnect();
  await admin.disconnect();
  await mongo.close();
  await telemetry.shutdown();
});
