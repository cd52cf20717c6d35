// Sealer service: wiring only. Follows the ledger and publishes signed checkpoints (sealer.ts).
import { z } from 'zod';
import { Router } from 'express';
import { createPublicKey } from 'node:crypto';
import { loadConfig, kafkaConfig, runtimeConfig, topicsConfig } from '../../adapters/config.js';
import { onShutdown } from '../../adapters/shutdown.js';
import { createLogger, errorMessage } from '../../adapters/logger.js';
import { startTelemetry } from '../../adapters/telemetry.js';
import { createKafka, createIdempotentProducer, createConsumer } from '../../adapters/kafka.js';
import { createApp, listen } from '../../adapters/http/app.js';
import { checkpointSignatureValid, keyIdOf, publicKeyPem, signingKeyFromBase64 } from '../../contracts/checkpoint.js';
import { readCheckpoints } from '../../ledger/checkpoints.js';
import { Sealer } from './sealer.js';

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
const fatal = (err: unknown, msg: string) => {
  log.fatal({ err: errorMessage(err) }, msg);
  process.exit(1);
};

const kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: `${config.KAFKA_CLIENT_ID}-sealer` }, log);
const producer = createIdempotentProducer(kafka);
await producer.connect();
const sealer = new Sealer({
  producer,
  ledgerTopic: config.LEDGER_TOPIC,
  checkpointsTopic: config.CHECKPOINTS_TOPIC,
  signingKey,
  publicKey,
  everyRecords: config.SEALER_EVERY_RECORDS,
  everyMs: config.SEALER_EVERY_MS,
  onCheckpoint: (c) =>
    log.info(
      { partition: c.partition, sequence: c.sequence, fromOffset: c.fromOffset, toOffset: c.toOffset },
      'checkpoint published',
    ),
});

// Resume from the checkpoints topic. A last checkpoint we cannot verify with our own key means the
// topic was tampered with or the key changed: refuse to extend a chain we cannot vouch for.
const published = await readCheckpoints(kafka, config.CHECKPOINTS_TOPIC, config.LEDGER_TOPIC);
const last = [...published.byPartition.values()].map((list) => list[list.length - 1]!);
for (const c of last) {
  if (!checkpointSignatureValid(c, publicKey))
    fatal(
      new Error(`partition ${c.partition} checkpoint ${c.sequence}`),
      'the last checkpoint is not signed by SEALER_SIGNING_KEY; refusing to extend it',
    );
}
sealer.restore(last);
log.info({ partitions: last.length, keyId: keyIdOf(publicKey) }, 'resuming after the published checkpoints');

const consumer = createConsumer(kafka, {
  groupId: config.SEALER_GROUP,
  sessionTimeout: 30_000,
  heartbeatInterval: 3_000,
});
await consumer.connect();
await consumer.subscribe({ topic: config.LEDGER_TOPIC, fromBeginning: true });
await consumer
  .run({
    eachBatch: async (payload) => {
      const { batch } = payload;
      if (!payload.isRunning() || batch.messages.length === 0) return;
      const expected = sealer.expectedOffset(batch.partition);
      // The group's committed offset is only a hint; the checkpoints say where sealing resumes.
      if (BigInt(batch.messages[0]!.offset) > expected) {
        consumer.seek({ topic: config.LEDGER_TOPIC, partition: batch.partition, offset: expected.toString() });
        return;
      }
      // A publish that failed may still have landed: never retry it in-process (a second checkpoint with
      // the same sequence would fork the chain) — exit, and the next start reads what is really there.
      await sealer
        .add(
          batch.partition,
          batch.messages.map((m) => ({ offset: m.offset, value: m.value })),
        )
        .catch((err: unknown) => fatal(err, 'could not publish a checkpoint'));
      await payload.heartbeat();
    },
  })
  .catch((err: unknown) => fatal(err, 'ledger consumer failed'));
// Start each partition right after its last checkpoint rather than where the group left off (the
// check in eachBatch above remains the guarantee; this only saves re-reading sealed records).
for (const c of last)
  consumer.seek({
    topic: config.LEDGER_TOPIC,
    partition: c.partition,
    offset: sealer.expectedOffset(c.partition).toString(),
  });
consumer.on(consumer.events.CRASH, (e) => {
  if (!e.payload.restart) fatal(e.payload.error, 'ledger consumer crashed');
});
const timer = setInterval(
  () => {
    sealer.flush().catch((err: unknown) => fatal(err, 'could not publish a checkpoint'));
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
  await consumer.disconnect();
  await sealer
    .flush(true)
    .catch((err: unknown) =>
      log.error({ err: errorMessage(err) }, 'final checkpoint not published; the next start reseals those records'),
    );
  await producer.disconnect();
  await admin.disconnect();
  await server.close();
  await telemetry.shutdown();
});
