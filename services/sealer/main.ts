// Sealer service: wiring only. Follows the ledger (follow.ts) and publishes signed checkpoints (sealer.ts),
// each in a transaction of its partition's claim (claims.ts), so N instances can run: one chain each.
import { z } from 'zod';
import { Router } from 'express';
import { createPublicKey } from 'node:crypto';
import { loadConfig, kafkaConfig, runtimeConfig, topicsConfig } from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger, errorMessage } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka } from '../../adapters/kafka.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { checkpointSignatureValid, keyIdOf, publicKeyPem, signingKeyFromBase64 } from '../../contracts/checkpoint.js';
import { PartitionClaims } from './claims.js';
import { LedgerFollower } from './follow.js';
import { Sealer } from './sealer.js';
import { sealerMetrics } from './metrics.js';

const config = loadConfig(
  kafkaConfig
    .extend(runtimeConfig.shape)
    .extend(topicsConfig.shape)
    .extend({
      SEALER_PORT: z.coerce.number().int().min(1).max(65535).default(8085),
      SEALER_HOST: z.string().default('127.0.0.1'),
      SEALER_SIGNING_KEY: z
        .string()
        .regex(/^[A-Za-z0-9+/=]{40,}$/, 'must be an Ed25519 private key, PKCS8 DER in base64'),
      SEALER_EVERY_RECORDS: z.coerce.number().int().min(1).max(100_000).default(1000),
      SEALER_EVERY_MS: z.coerce.number().int().min(100).default(10_000),
      SEALER_GROUP: z.string().default('sealer'),
      SEALER_TRANSACTION_TIMEOUT_MS: z.coerce.number().int().min(1000).max(900_000).default(10_000),
    }),
);
const log = createLogger('sealer', config.LOG_LEVEL);
const telemetry = startTelemetry('sealer', { otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });

let signingKey;
try {
  signingKey = signingKeyFromBase64(config.SEALER_SIGNING_KEY);
} catch (err) {
  log.fatal({ variable: 'SEALER_SIGNING_KEY', reason: (err as Error).message }, 'invalid configuration');
  process.exit(1);
}
const publicKey = createPublicKey(signingKey);
const fatal = (err: unknown, msg: string): never => {
  log.fatal({ err: errorMessage(err) }, msg);
  process.exit(1);
};

const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-sealer` }, log);
const claims = new PartitionClaims(kafka, {
  ledgerTopic: config.LEDGER_TOPIC,
  checkpointsTopic: config.CHECKPOINTS_TOPIC,
  transactionTimeoutMs: config.SEALER_TRANSACTION_TIMEOUT_MS,
});
const sealer = new Sealer({
  publish: (partition, checkpoint) => claims.publish(partition, checkpoint),
  ledgerTopic: config.LEDGER_TOPIC,
  signingKey,
  publicKey,
  everyRecords: config.SEALER_EVERY_RECORDS,
  everyMs: config.SEALER_EVERY_MS,
  onCheckpoint: (c) => {
    sealerMetrics.lastSealedOffset.set({ partition: String(c.partition) }, Number(c.toOffset));
    log.info(
      { partition: c.partition, sequence: c.sequence, fromOffset: c.fromOffset, toOffset: c.toOffset },
      'checkpoint published',
    );
  },
});
log.info({ keyId: keyIdOf(publicKey), group: config.SEALER_GROUP }, 'sealer starting');

// A last checkpoint we cannot verify with our own key means the topic was tampered with or the key
// changed: refuse to extend a chain we cannot vouch for.
const follower = new LedgerFollower({
  kafka,
  sealer,
  claims,
  ledgerTopic: config.LEDGER_TOPIC,
  groupId: config.SEALER_GROUP,
  log,
  trusted: (c) => checkpointSignatureValid(c, publicKey),
  refuse: (partition, c) =>
    fatal(
      new Error(`partition ${partition} checkpoint ${c.sequence}`),
      'the last checkpoint is not signed by SEALER_SIGNING_KEY; refusing to extend it',
    ),
});
await follower.start().catch((err: unknown) => fatal(err, 'ledger consumer failed'));
follower.consumer.on(follower.consumer.events.CRASH, (e) => {
  if (!e.payload.restart) fatal(e.payload.error, 'ledger consumer crashed');
});
const timer = setInterval(
  () => {
    sealer.flush().then(
      ({ lost }) => follower.lost(lost),
      (err: unknown) => fatal(err, 'could not cut a checkpoint'),
    );
  },
  Math.min(1000, Math.ceil(config.SEALER_EVERY_MS / 4)),
);

const admin = kafka.admin();
await admin.connect();
const pem = publicKeyPem(publicKey);
const app = createApp({
  log,
  readiness: { kafka: async () => (await admin.describeCluster()).brokers.length > 0 },
  // The public key is public: auditors fetch it here (or from the audit API) and pin it.
  routers: [
    Router().get('/v1/public-key', (_req, res) => {
      res.json({ keyId: keyIdOf(publicKey), algorithm: 'Ed25519', publicKeyPem: pem });
    }),
  ],
});
const server = await listen(app, config.SEALER_PORT, config.SEALER_HOST);
log.info({ port: config.SEALER_PORT }, 'sealer listening');

onShutdown(log, 'sealing what was read', async () => {
  clearInterval(timer);
  await follower.consumer.disconnect();
  const { lost } = await sealer.flush(true);
  if (lost.length > 0)
    log.warn(
      { partitions: lost.map((l) => l.partition) },
      'final checkpoints not published; their next sealer reseals those records',
    );
  await claims.close();
  await admin.disconnect();
  await server.close();
  await telemetry.shutdown();
});
